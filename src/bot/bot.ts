// The transport-neutral bot: everything a command needs, built once per process (or isolate)
// from validated configuration. Transports (Bolt on Node, the Workers route) only decode
// Slack's requests, acknowledge them and hand them to dispatch.ts.
import { Authorizer } from "./authorize.ts";
import type { RelayBackend } from "./backend/backend.ts";
import { ConfirmationRefresher } from "./confirmations.ts";
import type { SlackEnv } from "./env.ts";
import type { SlackWebApi } from "./slack/web-api.ts";

export interface Bot {
  readonly backend: RelayBackend;
  readonly slack: SlackWebApi;
  readonly authorizer: Authorizer;
  /** The slash command as configured (SLACK_COMMAND), for help and usage texts. */
  readonly command: string;
  readonly now: () => Date;
  readonly logError: (error: unknown, what: string) => void;
  /** Brings every open confirmation up to date (after reconcile runs and agent reports). */
  refresh(): Promise<void>;
}

export function createBot(options: {
  env: SlackEnv;
  backend: RelayBackend;
  slack: SlackWebApi;
  now?: () => Date;
  logError: (error: unknown, what: string) => void;
}): Bot {
  const now = options.now ?? (() => new Date());
  const refresher = new ConfirmationRefresher({
    backend: options.backend,
    slack: options.slack,
    now,
    logError: options.logError,
  });
  return {
    backend: options.backend,
    slack: options.slack,
    authorizer: new Authorizer(
      {
        allowedUsers: options.env.SLACK_ALLOWED_USERS,
        allowedUsergroups: options.env.SLACK_ALLOWED_USERGROUPS,
        allowedChannels: options.env.SLACK_ALLOWED_CHANNELS,
      },
      options.slack,
      () => now().getTime(),
    ),
    command: options.env.SLACK_COMMAND,
    now,
    logError: options.logError,
    refresh: () => refresher.refresh(),
  };
}
