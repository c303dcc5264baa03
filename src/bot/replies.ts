// Error replies: ephemeral, with the service error's message and code (the same closed set
// HTTP maps to statuses). Unknown errors are logged and answered with a reference only.
import { isRelayError } from "../core/errors.ts";
import type { Bot } from "./bot.ts";
import { context, escapeText, type ResponseMessage, section } from "./slack/message.ts";

let referenceCounter = 0;

export function ephemeral(markdown: string, more: ResponseMessage["blocks"] = []): ResponseMessage {
  return { response_type: "ephemeral", text: markdown, blocks: [section(markdown), ...more] };
}

export function errorReply(bot: Bot, error: unknown, what: string): ResponseMessage {
  if (isRelayError(error)) {
    const problems = error.problems.filter((p) => p.path).map((p) => `${p.path}: ${p.message}`);
    const text = `:warning: ${escapeText(error.message)}`;
    return {
      response_type: "ephemeral",
      text,
      blocks: [
        section(text),
        context(
          [`\`${error.code}\``, ...problems.map((problem) => escapeText(problem))].join(" · "),
        ),
      ],
    };
  }
  referenceCounter += 1;
  const reference = `slack-${Date.now().toString(36)}-${referenceCounter}`;
  bot.logError(error, `${what} (reference ${reference})`);
  return ephemeral(`:boom: internal error; the server log has reference ${reference}`);
}

/** Sends an error reply; a failure to reply is logged, never thrown. */
export async function replyError(
  bot: Bot,
  responseUrl: string,
  error: unknown,
  what: string,
): Promise<void> {
  await bot.slack
    .respond(responseUrl, errorReply(bot, error, what))
    .catch((failure) => bot.logError(failure, `reply to ${what}`));
}
