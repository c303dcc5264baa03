import { describe, expect, it } from "vitest";
import { readSlackEnv, slackModeOf } from "../../../src/bot/env.ts";

describe("Slack configuration", () => {
  it("turns the bot off when no Slack key is set", () => {
    expect(slackModeOf(readSlackEnv({}))).toBeUndefined();
  });

  it("picks HTTP with a signing secret and Socket Mode with an app token", () => {
    const http = readSlackEnv({ SLACK_SIGNING_SECRET: "s", SLACK_BOT_TOKEN: "xoxb-1" });
    expect(slackModeOf(http)).toEqual({ kind: "http", signingSecret: "s", botToken: "xoxb-1" });
    const socket = readSlackEnv({ SLACK_APP_TOKEN: "xapp-1", SLACK_BOT_TOKEN: "xoxb-1" });
    expect(slackModeOf(socket)).toEqual({ kind: "socket", appToken: "xapp-1", botToken: "xoxb-1" });
    expect(http.SLACK_API_URL).toBe("https://slack.com/api/");
  });

  it("reads ID lists and names each bad key", () => {
    const env = readSlackEnv({
      SLACK_SIGNING_SECRET: "s",
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_ALLOWED_USERS: "U1AB, W2CD",
      SLACK_ALLOWED_CHANNELS: "C0RELAY",
    });
    expect(env.SLACK_ALLOWED_USERS).toEqual(["U1AB", "W2CD"]);
    expect(env.SLACK_ALLOWED_CHANNELS).toEqual(["C0RELAY"]);
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow(
      "bad configuration: SLACK_SIGNING_SECRET: set SLACK_SIGNING_SECRET (HTTP at POST /slack/events) or SLACK_APP_TOKEN (Socket Mode)",
    );
    expect(() => readSlackEnv({ SLACK_SIGNING_SECRET: "s" })).toThrow(
      "SLACK_BOT_TOKEN: the Slack bot needs SLACK_BOT_TOKEN (xoxb-…) as well",
    );
    expect(() =>
      readSlackEnv({
        SLACK_SIGNING_SECRET: "s",
        SLACK_BOT_TOKEN: "xoxb-1",
        SLACK_ALLOWED_USERS: "bob",
      }),
    ).toThrow("SLACK_ALLOWED_USERS.0: each entry must be a Slack user (U… or W…) ID");
  });
});
