// The Slack bot inside the Node API process (`npm start`): in-process verbs, Bolt for the
// listeners, POST /slack/events on the API's own server (or Socket Mode).
import type { ChangeKind } from "../api/services/context.ts";
import type { Database } from "../api/storage/database.ts";
import { localBackend } from "./backend/local.ts";
import { startBoltBot } from "./bolt/bolt-app.ts";
import { createBot } from "./bot.ts";
import { type SlackEnv, slackModeOf } from "./env.ts";
import { type SlackEventsHandler, slackEventsHandler } from "./http/slack-events.ts";
import { FetchSlackWebApi } from "./slack/web-api.ts";

export interface NodeSlackBot {
  readonly mode: "http" | "socket";
  /** POST /slack/events (HTTP mode only). */
  readonly events: SlackEventsHandler | undefined;
  /** Updates open confirmations: call after reconcile runs and agent reports. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export type BotLog = (
  level: "debug" | "info" | "warn" | "error",
  text: string,
  error?: unknown,
) => void;

/** Undefined when no Slack key is set: the API runs without a bot. */
export async function startNodeSlackBot(options: {
  env: SlackEnv;
  database: Database;
  now: () => Date;
  changed: (kinds: readonly ChangeKind[]) => void;
  reportIntervalSeconds: number;
  log: BotLog;
}): Promise<NodeSlackBot | undefined> {
  const { env } = options;
  const mode = slackModeOf(env);
  if (!mode) return undefined;
  const bot = createBot({
    env,
    backend: localBackend(options),
    slack: new FetchSlackWebApi({ baseUrl: env.SLACK_API_URL, botToken: mode.botToken }),
    now: options.now,
    logError: (error, what) => options.log("error", `Slack bot: ${what} failed`, error),
  });
  const bolt = await startBoltBot({
    bot,
    mode,
    slackApiUrl: env.SLACK_API_URL,
    log: (level, text) => options.log(level, `Bolt: ${text}`),
  });
  return {
    mode: mode.kind,
    events:
      mode.kind === "http" && bolt.dispatch
        ? slackEventsHandler({
            signingSecret: mode.signingSecret,
            now: options.now,
            dispatch: bolt.dispatch,
          })
        : undefined,
    refresh: () => bot.refresh(),
    stop: () => bolt.stop(),
  };
}
