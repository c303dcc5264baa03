// What Slack sends the bot in the e2e lab: slash commands and block_actions interactions,
// form-encoded and signed the way Slack signs them (v0 HMAC-SHA256 over "v0:ts:body", see
// docs/slack.md), posted to the API's /slack/events inside the control plane's namespace.
import { signSlackRequest } from "../../../src/bot/http/verify-signature.ts";
import type { ControlPlane, HttpAnswer } from "./control-plane.ts";

export const LAB_SIGNING_SECRET = "lab-signing-secret-5f0c8e6a7d2b41c9";
export const LAB_BOT_TOKEN = "xoxb-lab-bot-token";
export const LAB_TEAM = "T0LAB";
export const LAB_OPERATOR = "UOPS";
export const LAB_CHANNEL = "C0RELAYS";

/** The API's Slack keys for the lab: HTTP mode, one allowed operator. */
export function labSlackEnv(control: ControlPlane): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: LAB_SIGNING_SECRET,
    SLACK_BOT_TOKEN: LAB_BOT_TOKEN,
    SLACK_API_URL: control.slackApiUrl,
    SLACK_ALLOWED_USERS: LAB_OPERATOR,
  };
}

export class LabSlack {
  readonly control: ControlPlane;
  #requests = 0;

  constructor(control: ControlPlane) {
    this.control = control;
  }

  /** Posts `body` signed with `secret` (Slack's secret unless a test forges one). */
  async post(body: string, secret = LAB_SIGNING_SECRET): Promise<HttpAnswer> {
    const timestamp = Math.floor(Date.now() / 1000);
    return this.control.postSlackEvent(body, {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": await signSlackRequest(secret, timestamp, body),
    });
  }

  /** `/relay <text>` as Slack's form body; `id` names its response_url. */
  commandBody(text: string): { id: string; body: string } {
    this.#requests += 1;
    const id = `cmd${this.#requests}`;
    const body = new URLSearchParams({
      token: "deprecated-verification-token",
      team_id: LAB_TEAM,
      team_domain: "lab",
      channel_id: LAB_CHANNEL,
      channel_name: "relays",
      user_id: LAB_OPERATOR,
      user_name: "ops",
      command: "/relay",
      text,
      api_app_id: "A0LAB",
      response_url: this.control.responseUrl(id),
      trigger_id: "1.2.3",
    }).toString();
    return { id, body };
  }

  /** Runs `/relay <text>`; resolves with the id of its response_url once Slack got the ack. */
  async command(text: string): Promise<string> {
    const { id, body } = this.commandBody(text);
    const answer = await this.post(body);
    if (answer.status !== 200) {
      throw new Error(`/relay ${text}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return id;
  }

  /** Presses the button `actionId` of a posted message (a block_actions payload). */
  async press(message: { ts: string; blocks: Record<string, unknown>[] }, actionId: string) {
    const button = message.blocks
      .flatMap(
        (block) => (block.elements as { action_id?: string; value?: string }[] | undefined) ?? [],
      )
      .find((element) => element.action_id === actionId);
    if (!button?.value) throw new Error(`no button ${actionId} in message ${message.ts}`);
    this.#requests += 1;
    const id = `act${this.#requests}`;
    const payload = {
      type: "block_actions",
      team: { id: LAB_TEAM, domain: "lab" },
      user: { id: LAB_OPERATOR, team_id: LAB_TEAM },
      api_app_id: "A0LAB",
      container: { type: "message", message_ts: message.ts, channel_id: LAB_CHANNEL },
      channel: { id: LAB_CHANNEL, name: "relays" },
      message: { ts: message.ts, type: "message", text: "", blocks: message.blocks },
      response_url: this.control.responseUrl(id),
      trigger_id: "4.5.6",
      actions: [
        {
          type: "button",
          action_id: actionId,
          block_id: "remove_domain",
          value: button.value,
          action_ts: `${Math.floor(Date.now() / 1000)}.000001`,
        },
      ],
    };
    const answer = await this.post(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    if (answer.status !== 200) throw new Error(`press ${actionId}: HTTP ${answer.status}`);
    return id;
  }
}
