// What Slack sends, validated at the edge and reduced to what the commands use. Slash
// commands arrive form-encoded; interactions as form field `payload` holding JSON
// (https://api.slack.com/interactivity/slash-commands, .../handling#payloads).
import { z } from "zod";

export const SlashCommandPayload = z.object({
  command: z.string(),
  text: z.string().max(4000).default(""),
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  response_url: z.url(),
});

export const BlockActionsPayload = z.object({
  type: z.literal("block_actions"),
  team: z.object({ id: z.string().min(1) }),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  response_url: z.url(),
  message: z.object({ ts: z.string().min(1) }),
  actions: z
    .array(z.object({ action_id: z.string(), value: z.string().max(2000).default("") }))
    .min(1),
});

export interface CommandInvocation {
  readonly teamId: string;
  readonly userId: string;
  readonly channelId: string;
  readonly text: string;
  readonly responseUrl: string;
}

export interface ActionInvocation {
  readonly teamId: string;
  readonly userId: string;
  readonly channelId: string;
  readonly actionId: string;
  readonly value: string;
  /** The message that holds the button: updated in place. */
  readonly messageTs: string;
  readonly responseUrl: string;
}

export function commandInvocationOf(body: unknown): CommandInvocation | undefined {
  const parsed = SlashCommandPayload.safeParse(body);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  return {
    teamId: p.team_id,
    userId: p.user_id,
    channelId: p.channel_id,
    text: p.text,
    responseUrl: p.response_url,
  };
}

export function actionInvocationOf(body: unknown): ActionInvocation | undefined {
  const parsed = BlockActionsPayload.safeParse(body);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  const action = p.actions[0]!;
  return {
    teamId: p.team.id,
    userId: p.user.id,
    channelId: p.channel.id,
    actionId: action.action_id,
    value: action.value,
    messageTs: p.message.ts,
    responseUrl: p.response_url,
  };
}

/** The body of a Slack request: slash command fields, or the parsed interaction payload. */
export function slackBodyOf(rawBody: string): Record<string, unknown> | undefined {
  const form = new URLSearchParams(rawBody);
  const payload = form.get("payload");
  if (payload === null) return Object.fromEntries(form);
  try {
    const parsed: unknown = JSON.parse(payload);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
