// The Bolt app on Node: one listener for the slash command and one per button, each calling
// ack() first and then the transport-neutral core. HTTP goes through our route (RouteReceiver);
// Socket Mode (SLACK_APP_TOKEN) opens its own WebSocket to Slack, no public URL needed.
import { App, type Logger, LogLevel, SocketModeReceiver } from "@slack/bolt";
import { RelayError } from "../../core/errors.ts";
import type { Bot } from "../bot.ts";
import { ACTIONS } from "../commands/index.ts";
import { runAction, runSlashCommand } from "../dispatch.ts";
import type { SlackMode } from "../env.ts";
import type { SlackDispatch } from "../http/slack-events.ts";
import { actionInvocationOf, commandInvocationOf } from "../slack/payloads.ts";
import { RouteReceiver } from "./route-receiver.ts";

export interface BoltBot {
  /** HTTP mode: where POST /slack/events hands verified bodies. */
  readonly dispatch: SlackDispatch | undefined;
  stop(): Promise<void>;
}

export function registerListeners(app: App, bot: Bot): void {
  app.command(bot.command, async ({ ack, body }) => {
    await ack();
    const invocation = commandInvocationOf(body);
    if (invocation) await runSlashCommand(bot, invocation);
  });
  for (const handler of ACTIONS) {
    app.action(handler.actionId, async ({ ack, body }) => {
      await ack();
      const action = actionInvocationOf(body);
      if (action) await runAction(bot, action);
    });
  }
}

/** Bolt's own log lines, through the caller's logger. */
function boltLogger(
  log: (level: "debug" | "info" | "warn" | "error", text: string) => void,
): Logger {
  let level = LogLevel.INFO;
  const join = (parts: unknown[]) => parts.map(String).join(" ");
  return {
    debug: (...parts) => log("debug", join(parts)),
    info: (...parts) => log("info", join(parts)),
    warn: (...parts) => log("warn", join(parts)),
    error: (...parts) => log("error", join(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * Builds the Bolt app and checks the bot token (Bolt calls auth.test at SLACK_API_URL), so a
 * wrong token stops the start with Slack's reason.
 */
export async function startBoltBot(options: {
  bot: Bot;
  mode: SlackMode;
  slackApiUrl: string;
  log: (level: "debug" | "info" | "warn" | "error", text: string) => void;
}): Promise<BoltBot> {
  const { bot, mode } = options;
  const logger = boltLogger(options.log);
  const clientOptions = { slackApiUrl: options.slackApiUrl };
  const routeReceiver = mode.kind === "http" ? new RouteReceiver(bot.logError) : undefined;
  const receiver =
    routeReceiver ??
    new SocketModeReceiver({
      appToken: mode.kind === "socket" ? mode.appToken : "",
      logger,
      installerOptions: { clientOptions },
    });
  const app = new App({
    token: mode.botToken,
    receiver,
    logger,
    clientOptions,
    deferInitialization: true,
  });
  registerListeners(app, bot);
  try {
    await app.init();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RelayError(
      "upstream_unavailable",
      `Slack did not accept SLACK_BOT_TOKEN (auth.test at ${options.slackApiUrl}): ${reason}`,
    );
  }
  await app.start();
  return {
    dispatch: routeReceiver?.dispatch,
    stop: async () => {
      await app.stop();
    },
  };
}
