// The dispatcher without Bolt (Workers): acknowledge with an empty 200 and run the command in
// `waitUntil`, after the answer has left.
import { RelayError } from "../../core/errors.ts";
import type { Bot } from "../bot.ts";
import { runAction, runSlashCommand } from "../dispatch.ts";
import { actionInvocationOf, commandInvocationOf } from "../slack/payloads.ts";
import type { SlackDispatch } from "./slack-events.ts";

export function directDispatch(
  bot: Bot,
  /** Runs after each command's work, in the same waitUntil (Workers: a pending reconcile). */
  afterWork: () => Promise<void> = async () => {},
): SlackDispatch {
  return async (body, waitUntil) => {
    const command = commandInvocationOf(body);
    const action = command ? undefined : actionInvocationOf(body);
    if (!command && !action) {
      throw new RelayError("invalid_input", "not a slash command nor a block_actions payload");
    }
    const work = command ? runSlashCommand(bot, command) : runAction(bot, action!);
    waitUntil(work.then(afterWork).catch((error) => bot.logError(error, "Slack request")));
    return undefined;
  };
}
