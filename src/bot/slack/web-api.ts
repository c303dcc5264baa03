// The few Slack Web API methods the bot calls, behind a small interface with a fetch
// implementation that runs on Node and on Workers alike. Base URL from SLACK_API_URL.
import { RelayError } from "../../core/errors.ts";
import type { ResponseMessage, SlackMessage } from "./message.ts";

export interface SlackWebApi {
  /** chat.postMessage: a new message in `channel`; answers its timestamp (the message id). */
  postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  /** chat.update: replaces the text and blocks of a message the bot posted. */
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** usergroups.users.list: the user IDs in a user group. */
  usergroupMembers(usergroupId: string): Promise<string[]>;
  /** Posts to a response_url of a slash command or an interaction (valid 30 min, 5 posts). */
  respond(responseUrl: string, message: ResponseMessage): Promise<void>;
}

const TIMEOUT_MS = 10_000;

interface SlackAnswer {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export class FetchSlackWebApi implements SlackWebApi {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(options: { baseUrl: string; botToken: string; fetch?: typeof fetch }) {
    this.#baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    this.#token = options.botToken;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async #call(method: string, params: Record<string, string>): Promise<SlackAnswer> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${method}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.#token}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new RelayError(
        "upstream_unavailable",
        `Slack ${method} failed: ${(error as Error).message}`,
      );
    }
    if (response.status === 429) {
      throw new RelayError(
        "rate_limited",
        `Slack ${method}: rate limited, retry after ${response.headers.get("retry-after") ?? "?"} s`,
      );
    }
    const answer = (await response.json().catch(() => ({ ok: false, error: "not JSON" }))) as
      | SlackAnswer
      | undefined;
    if (!response.ok || !answer?.ok) {
      throw new RelayError(
        "upstream_unavailable",
        `Slack ${method} failed: ${answer?.error ?? `HTTP ${response.status}`}`,
      );
    }
    return answer;
  }

  async postMessage(channel: string, message: SlackMessage) {
    const answer = await this.#call("chat.postMessage", {
      channel,
      text: message.text,
      blocks: JSON.stringify(message.blocks),
    });
    return { channel: String(answer.channel ?? channel), ts: String(answer.ts) };
  }

  async updateMessage(channel: string, ts: string, message: SlackMessage) {
    await this.#call("chat.update", {
      channel,
      ts,
      text: message.text,
      blocks: JSON.stringify(message.blocks),
    });
  }

  async usergroupMembers(usergroupId: string) {
    const answer = await this.#call("usergroups.users.list", { usergroup: usergroupId });
    return Array.isArray(answer.users) ? answer.users.map(String) : [];
  }

  async respond(responseUrl: string, message: ResponseMessage) {
    let response: Response;
    try {
      response = await this.#fetch(responseUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new RelayError(
        "upstream_unavailable",
        `Slack response_url failed: ${(error as Error).message}`,
      );
    }
    await response.body?.cancel();
    if (!response.ok) {
      throw new RelayError("upstream_unavailable", `Slack response_url: HTTP ${response.status}`);
    }
  }
}
