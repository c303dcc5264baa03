// The bodies Slack posts to a bot's request URL, built the way Slack builds them: a slash
// command as a form, an interaction as a form field `payload` holding JSON (block_actions for a
// button press). Pure, no node: imports (also used inside workerd).

export interface SlackWhere {
  readonly team: string;
  readonly channel: string;
  readonly user: string;
  readonly responseUrl: string;
}

/** `/relay <text>` as Slack's form-encoded body. */
export function slashCommandBody(where: SlackWhere, text: string): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: where.team,
    team_domain: "test",
    channel_id: where.channel,
    channel_name: "relay",
    user_id: where.user,
    user_name: where.user.toLowerCase(),
    command: "/relay",
    text,
    api_app_id: "A0TEST",
    response_url: where.responseUrl,
    trigger_id: "1.2.3",
  }).toString();
}

/** The value of button `actionId` in a posted message's blocks. */
export function buttonValue(blocks: readonly Record<string, unknown>[], actionId: string): string {
  const button = blocks
    .flatMap(
      (block) => (block.elements as { action_id?: string; value?: string }[] | undefined) ?? [],
    )
    .find((element) => element.action_id === actionId);
  if (!button?.value) throw new Error(`no button ${actionId}`);
  return button.value;
}

/** A press of button `actionId` (carrying `value`) on message `message`, as Slack's form body. */
export function buttonPressBody(
  where: SlackWhere,
  message: { ts: string; blocks: Record<string, unknown>[] },
  actionId: string,
  value: string,
): string {
  const payload = {
    type: "block_actions",
    team: { id: where.team, domain: "test" },
    user: { id: where.user, team_id: where.team },
    api_app_id: "A0TEST",
    container: { type: "message", message_ts: message.ts, channel_id: where.channel },
    channel: { id: where.channel, name: "relay" },
    message: { ts: message.ts, type: "message", text: "", blocks: message.blocks },
    response_url: where.responseUrl,
    trigger_id: "4.5.6",
    actions: [
      {
        type: "button",
        action_id: actionId,
        block_id: "remove_domain",
        value,
        action_ts: "1700000000.1",
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
