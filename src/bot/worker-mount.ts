// The Slack bot on Cloudflare Workers: Bolt needs Node's http stack, so POST /slack/events
// verifies Slack's signature with Web Crypto and runs the command core directly, acknowledging
// at once and finishing in ctx.waitUntil (replies through response_url and chat.*).
import type { ChangeKind } from "../api/services/context.ts";
import type { Database } from "../api/storage/database.ts";
import { RelayError } from "../core/errors.ts";
import { localBackend } from "./backend/local.ts";
import { createBot } from "./bot.ts";
import type { SlackEnv } from "./env.ts";
import { directDispatch } from "./http/direct-dispatch.ts";
import { type SlackEventsHandler, slackEventsHandler } from "./http/slack-events.ts";
import { FetchSlackWebApi } from "./slack/web-api.ts";

export interface WorkerSlackBot {
  readonly events: SlackEventsHandler;
  refresh(): Promise<void>;
}

/** Undefined when no Slack key is set. */
export function workerSlackBot(options: {
  env: SlackEnv;
  database: Database;
  changed: (kinds: readonly ChangeKind[]) => void;
  reportIntervalSeconds: number;
  /** Runs after each command in the same waitUntil: the reconcile a change asked for. */
  afterWork: () => Promise<void>;
}): WorkerSlackBot | undefined {
  const { env } = options;
  if (!env.SLACK_BOT_TOKEN) return undefined;
  if (!env.SLACK_SIGNING_SECRET) {
    throw new RelayError(
      "invalid_input",
      "bad configuration: SLACK_SIGNING_SECRET: Workers serve Slack over HTTP only (Socket Mode needs Node); set the signing secret",
    );
  }
  const now = () => new Date();
  const bot = createBot({
    env,
    backend: localBackend({
      database: options.database,
      now,
      changed: options.changed,
      reportIntervalSeconds: options.reportIntervalSeconds,
    }),
    slack: new FetchSlackWebApi({ baseUrl: env.SLACK_API_URL, botToken: env.SLACK_BOT_TOKEN }),
    now,
    logError: (error, what) => console.error(`Slack bot: ${what} failed`, error),
  });
  return {
    events: slackEventsHandler({
      signingSecret: env.SLACK_SIGNING_SECRET,
      now,
      dispatch: directDispatch(bot, options.afterWork),
    }),
    refresh: () => bot.refresh(),
  };
}
