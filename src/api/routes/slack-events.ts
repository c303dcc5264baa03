// POST /slack/events: Slack's slash commands and button clicks on one URL, when the Slack bot
// is configured (src/bot). Not part of the OpenAPI document: Slack defines this protocol.
import type { Context } from "hono";
import { RelayError } from "../../core/errors.ts";
import type { App, AppEnv } from "./shared.ts";

/** Workers: the request's waitUntil; Node: the work simply runs on after the answer. */
function waitUntilOf(c: Context<AppEnv>): (work: Promise<unknown>) => void {
  try {
    const executionCtx = c.executionCtx;
    return (work) => executionCtx.waitUntil(work);
  } catch {
    return (work) => void work.catch(() => undefined);
  }
}

export function registerSlackEvents(app: App): void {
  app.post("/slack/events", async (c) => {
    const handler = c.get("deps").slackEvents;
    if (!handler) {
      throw new RelayError(
        "not_found",
        "the Slack bot is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (README: Slack bot)",
      );
    }
    const ack = await handler(c.req.raw, waitUntilOf(c));
    return ack === undefined ? c.body(null, 200) : c.json(ack as object, 200);
  });
}
