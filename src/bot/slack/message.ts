// A Slack message as the bot builds it: Block Kit blocks plus the plain-text fallback Slack
// shows in notifications (https://api.slack.com/reference/block-kit/blocks).

export type Block = Readonly<Record<string, unknown>>;

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Block[];
}

/** A reply through a response_url: ephemeral (only the asker sees it) or in the channel. */
export interface ResponseMessage extends SlackMessage {
  readonly response_type: "ephemeral" | "in_channel";
  readonly replace_original?: boolean;
}

/** Slack mrkdwn treats &, < and > as control characters: escape anything a user typed. */
export function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Inline code in mrkdwn; backticks inside would end it early. */
export function code(text: string): string {
  return `\`${escapeText(text).replaceAll("`", "'")}\``;
}

/** Slack refuses a section text over 3000 characters. */
const MAX_SECTION_TEXT = 3000;

export function section(markdown: string): Block {
  const text =
    markdown.length > MAX_SECTION_TEXT ? `${markdown.slice(0, MAX_SECTION_TEXT - 1)}…` : markdown;
  return { type: "section", text: { type: "mrkdwn", text } };
}

export function context(...markdown: string[]): Block {
  return {
    type: "context",
    elements: markdown.map((text) => ({ type: "mrkdwn", text })),
  };
}

export function header(text: string): Block {
  return { type: "header", text: { type: "plain_text", text: text.slice(0, 150), emoji: true } };
}

export function button(options: {
  actionId: string;
  text: string;
  value: string;
  style?: "primary" | "danger";
}): Block {
  return {
    type: "button",
    action_id: options.actionId,
    text: { type: "plain_text", text: options.text },
    value: options.value,
    ...(options.style ? { style: options.style } : {}),
  };
}

export function actions(blockId: string, elements: readonly Block[]): Block {
  return { type: "actions", block_id: blockId, elements };
}

export function mention(userId: string): string {
  return `<@${userId}>`;
}
