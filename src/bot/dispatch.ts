// From a decoded Slack request to a command or button handler: split the words, check the
// bot's own rules (channel, allowed users), run, and turn any error into an ephemeral reply.
// Called after the transport has acknowledged the request, within Slack's 3 seconds
// (docs/slack.md, "Security").
import { isRelayError } from "../core/errors.ts";
import type { SlackActor } from "./backend/backend.ts";
import type { Bot } from "./bot.ts";
import { helpMessage } from "./commands/help.ts";
import { COMMANDS, findAction, findCommand } from "./commands/index.ts";
import { replyError } from "./replies.ts";
import type { ActionInvocation, CommandInvocation } from "./slack/payloads.ts";

/**
 * Words of the command text. Slack may send a name it took for a link as <http://x.test|x.test>
 * (or <http://x.test>): the label is what the user typed.
 */
export function commandWords(text: string): string[] {
  return text
    .replace(/<[^<>|]*\|([^<>]*)>/g, "$1")
    .replace(/<(?:https?:\/\/)?([^<>]*)>/g, "$1")
    .split(/\s+/)
    .filter(Boolean);
}

async function authorize(
  bot: Bot,
  actor: SlackActor,
  rule: { channelId: string; mutates: boolean; auditVerb: string; input: Record<string, unknown> },
): Promise<void> {
  try {
    bot.authorizer.requireChannel(rule.channelId);
    if (rule.mutates) await bot.authorizer.requireMutation(actor.userId);
  } catch (error) {
    if (isRelayError(error) && error.code === "forbidden") {
      await bot.backend
        .recordRefusal(actor, rule.auditVerb, { channel: rule.channelId, ...rule.input })
        .catch((failure) => bot.logError(failure, "audit refusal"));
    }
    throw error;
  }
}

export async function runSlashCommand(bot: Bot, invocation: CommandInvocation): Promise<void> {
  const actor = { teamId: invocation.teamId, userId: invocation.userId };
  const [name = "", ...args] = commandWords(invocation.text);
  const command = findCommand(name.toLowerCase());
  try {
    if (!command) {
      await bot.slack.respond(
        invocation.responseUrl,
        helpMessage(bot, COMMANDS, name === "" ? undefined : name),
      );
      return;
    }
    await authorize(bot, actor, {
      channelId: invocation.channelId,
      mutates: command.mutates,
      auditVerb: command.auditVerb,
      input: { text: invocation.text.slice(0, 500) },
    });
    await command.run({ bot, invocation, actor, args });
  } catch (error) {
    await replyError(bot, invocation.responseUrl, error, `${bot.command} ${name}`);
  }
}

export async function runAction(bot: Bot, action: ActionInvocation): Promise<void> {
  const actor = { teamId: action.teamId, userId: action.userId };
  const handler = findAction(action.actionId);
  if (!handler) return; // a button of another app version: nothing to do
  try {
    await authorize(bot, actor, {
      channelId: action.channelId,
      mutates: handler.mutates,
      auditVerb: handler.auditVerb,
      input: { action: action.actionId },
    });
    await handler.run({ bot, action, actor });
  } catch (error) {
    await replyError(bot, action.responseUrl, error, action.actionId);
  }
}
