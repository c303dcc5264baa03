// Who may do what from Slack: changes only for SLACK_ALLOWED_USERS or members of
// SLACK_ALLOWED_USERGROUPS; any command only in SLACK_ALLOWED_CHANNELS when that is set.
// Refusals say which rule refused and how to get in.
import { RelayError } from "../core/errors.ts";
import type { SlackWebApi } from "./slack/web-api.ts";

export interface AuthorizationRules {
  readonly allowedUsers: readonly string[];
  readonly allowedUsergroups: readonly string[];
  readonly allowedChannels: readonly string[];
}

/** Group membership is read from Slack at most this often. */
const MEMBERS_TTL_MS = 60_000;

export class Authorizer {
  readonly #rules: AuthorizationRules;
  readonly #slack: SlackWebApi;
  readonly #now: () => number;
  readonly #members = new Map<string, { users: Set<string>; until: number }>();

  constructor(rules: AuthorizationRules, slack: SlackWebApi, now: () => number = Date.now) {
    this.#rules = rules;
    this.#slack = slack;
    this.#now = now;
  }

  /** Throws forbidden when the channel is not one of SLACK_ALLOWED_CHANNELS (if set). */
  requireChannel(channelId: string): void {
    const allowed = this.#rules.allowedChannels;
    if (allowed.length === 0 || allowed.includes(channelId)) return;
    throw new RelayError(
      "forbidden",
      `this channel (${channelId}) is not one of SLACK_ALLOWED_CHANNELS: run the command in an allowed channel, or ask an admin to add this one`,
    );
  }

  /** Throws forbidden unless the user may change split domains. */
  async requireMutation(userId: string): Promise<void> {
    const { allowedUsers, allowedUsergroups } = this.#rules;
    if (allowedUsers.includes(userId)) return;
    for (const group of allowedUsergroups) {
      if ((await this.#membersOf(group)).has(userId)) return;
    }
    if (allowedUsers.length === 0 && allowedUsergroups.length === 0) {
      throw new RelayError(
        "forbidden",
        "changes from Slack are turned off: the server has neither SLACK_ALLOWED_USERS nor SLACK_ALLOWED_USERGROUPS set",
      );
    }
    throw new RelayError(
      "forbidden",
      `you (${userId}) may not change split domains: you are not in SLACK_ALLOWED_USERS nor in a group of SLACK_ALLOWED_USERGROUPS; ask an admin to add you`,
    );
  }

  async #membersOf(group: string): Promise<Set<string>> {
    const cached = this.#members.get(group);
    if (cached && cached.until > this.#now()) return cached.users;
    let users: Set<string>;
    try {
      users = new Set(await this.#slack.usergroupMembers(group));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new RelayError(
        "upstream_unavailable",
        `could not check membership of user group ${group}: ${reason}; try again shortly`,
      );
    }
    this.#members.set(group, { users, until: this.#now() + MEMBERS_TTL_MS });
    return users;
  }
}
