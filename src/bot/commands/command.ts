// The shape of a `/relay <subcommand>` and of a button handler. A command parses its words,
// calls verbs through the backend and replies; it never sees the transport.
import { RelayError } from "../../core/errors.ts";
import type { SlackActor } from "../backend/backend.ts";
import type { Bot } from "../bot.ts";
import type { ActionInvocation, CommandInvocation } from "../slack/payloads.ts";

export interface CommandRun {
  readonly bot: Bot;
  readonly invocation: CommandInvocation;
  readonly actor: SlackActor;
  /** The words after the subcommand. */
  readonly args: readonly string[];
}

export interface Command {
  readonly name: string;
  /** e.g. "add-domain <split> <real-suffix> [relay]" */
  readonly usage: string;
  readonly summary: string;
  /** Changes state: only allowed users (SLACK_ALLOWED_USERS / _USERGROUPS). */
  readonly mutates: boolean;
  /** Audit verb of a refusal by the bot's own rules. */
  readonly auditVerb: string;
  run(run: CommandRun): Promise<void>;
}

export interface ActionRun {
  readonly bot: Bot;
  readonly action: ActionInvocation;
  readonly actor: SlackActor;
}

export interface ActionHandler {
  readonly actionId: string;
  readonly mutates: boolean;
  readonly auditVerb: string;
  run(run: ActionRun): Promise<void>;
}

/** invalid_input naming the usage, for missing or extra words. */
export function usageError(bot: Bot, command: Command, what: string): RelayError {
  return new RelayError("invalid_input", `${what}; usage: ${bot.command} ${command.usage}`);
}

/** Exactly `min` to `max` words, or a usage error. */
export function requireArgs(run: CommandRun, command: Command, min: number, max: number): void {
  const count = run.args.length;
  if (count < min) throw usageError(run.bot, command, `missing arguments`);
  if (count > max) throw usageError(run.bot, command, `too many arguments`);
}
