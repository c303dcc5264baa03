// What Slack sends the bot in the e2e lab: slash commands and block_actions interactions,
// form-encoded and signed the way Slack signs them (v0 HMAC-SHA256 over "v0:ts:body", see
// docs/slack.md), posted to the API's /slack/events inside the control plane's namespace.
import { signSlackRequest } from "../../../src/bot/http/verify-signature.ts";
import { buttonPressBody, buttonValue, slashCommandBody } from "../../fakes/slack-requests.ts";
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

  #where(id: string) {
    return {
      team: LAB_TEAM,
      channel: LAB_CHANNEL,
      user: LAB_OPERATOR,
      responseUrl: this.control.responseUrl(id),
    };
  }

  /** `/relay <text>` as Slack's form body; `id` names its response_url. */
  commandBody(text: string): { id: string; body: string } {
    this.#requests += 1;
    const id = `cmd${this.#requests}`;
    return { id, body: slashCommandBody(this.#where(id), text) };
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
    const value = buttonValue(message.blocks, actionId);
    this.#requests += 1;
    const id = `act${this.#requests}`;
    const answer = await this.post(buttonPressBody(this.#where(id), message, actionId, value));
    if (answer.status !== 200) throw new Error(`press ${actionId}: HTTP ${answer.status}`);
    return id;
  }
}
