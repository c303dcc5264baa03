// POST /slack/events, transport-neutral: bounded body, Slack's v0 signature, then the decoded
// body goes to a dispatcher (Bolt on Node, the command core directly on Workers) which
// acknowledges at once and finishes the work in the background (`waitUntil`).
import { RelayError } from "../../core/errors.ts";
import { slackBodyOf } from "../slack/payloads.ts";
import { verifySlackSignature } from "./verify-signature.ts";

/** Slash commands and button payloads are a few KiB; anything this large is not Slack. */
export const MAX_BODY_BYTES = 64 * 1024;

export type WaitUntil = (work: Promise<unknown>) => void;

/** Answers the acknowledgement body (undefined: an empty 200), quickly. */
export type SlackDispatch = (
  body: Record<string, unknown>,
  waitUntil: WaitUntil,
) => Promise<unknown>;

/** Handles one request: the ack body, or a RelayError (401 on a bad signature). */
export type SlackEventsHandler = (request: Request, waitUntil: WaitUntil) => Promise<unknown>;

async function boundedText(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    throw new RelayError("invalid_input", `request body over ${MAX_BODY_BYTES} bytes`);
  }
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) {
    throw new RelayError("invalid_input", `request body over ${MAX_BODY_BYTES} bytes`);
  }
  return text;
}

export function slackEventsHandler(options: {
  signingSecret: string;
  now: () => Date;
  dispatch: SlackDispatch;
}): SlackEventsHandler {
  return async (request, waitUntil) => {
    const body = await boundedText(request);
    const check = await verifySlackSignature({
      signingSecret: options.signingSecret,
      timestamp: request.headers.get("x-slack-request-timestamp") ?? undefined,
      signature: request.headers.get("x-slack-signature") ?? undefined,
      body,
      nowSeconds: Math.floor(options.now().getTime() / 1000),
    });
    if (!check.ok)
      throw new RelayError("unauthenticated", `not a signed Slack request: ${check.reason}`);
    const decoded = slackBodyOf(body);
    if (!decoded) throw new RelayError("invalid_input", "the Slack payload is not valid JSON");
    // Slack's reachability probe for slash command URLs.
    if (decoded.ssl_check === "1") return undefined;
    return options.dispatch(decoded, waitUntil);
  };
}
