// `/relay help` (and any unknown or empty input): what each command does.
import type { Bot } from "../bot.ts";
import { code, context, escapeText, type ResponseMessage, section } from "../slack/message.ts";
import type { Command } from "./command.ts";

export function helpMessage(
  bot: Bot,
  commands: readonly Command[],
  unknown?: string,
): ResponseMessage {
  const lines = commands.map(
    (command) => `• ${code(`${bot.command} ${command.usage}`)}: ${command.summary}`,
  );
  const intro = unknown
    ? `:grey_question: Unknown command ${code(unknown)}. ${escapeText(bot.command)} knows:`
    : `${escapeText(bot.command)} sends ${code("host.<split>")} through a chosen relay. Commands:`;
  return {
    response_type: "ephemeral",
    text: intro,
    blocks: [
      section(intro),
      section(lines.join("\n")),
      context(
        `Example: ${code(`${bot.command} add-domain r9929 tail1234.ts.net`)}, then \`ping my-vps.r9929\` goes through the relay.`,
      ),
    ],
  };
}

export function helpCommand(all: () => readonly Command[]): Command {
  return {
    name: "help",
    usage: "help",
    summary: "this list",
    mutates: false,
    auditVerb: "slack.help",
    async run({ bot, invocation }) {
      await bot.slack.respond(invocation.responseUrl, helpMessage(bot, all()));
    },
  };
}
