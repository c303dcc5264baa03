// Slack's v0 request signature: our Web Crypto implementation against Bolt's own check.
import { isValidSlackRequest } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { signSlackRequest, verifySlackSignature } from "../../../src/bot/http/verify-signature.ts";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const BODY =
  "token=x&team_id=T1&user_id=U1&command=%2Frelay&text=list&response_url=https%3A%2F%2Fhooks.slack.com%2Fx";
const NOW = 1_700_000_000;

describe("Slack request signature", () => {
  it("signs as Slack does: Bolt's verifier accepts our signature, and only for that body", async () => {
    const signature = await signSlackRequest(SECRET, NOW, BODY);
    expect(signature).toMatch(/^v0=[0-9a-f]{64}$/);
    const headers = { "x-slack-signature": signature, "x-slack-request-timestamp": NOW };
    const silent = {
      debug() {},
      info() {},
      warn() {},
      error() {},
      setLevel() {},
      getLevel: () => "info",
      setName() {},
    };
    const check = (body: string) =>
      isValidSlackRequest({
        signingSecret: SECRET,
        body,
        headers,
        nowMilliseconds: NOW * 1000,
        logger: silent as never,
      });
    expect(check(BODY)).toBe(true);
    expect(check(`${BODY}&text=status`)).toBe(false);
  });

  it("accepts a fresh signed request and names what is wrong with every other", async () => {
    const signature = await signSlackRequest(SECRET, NOW, BODY);
    const verify = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
      verifySlackSignature({
        signingSecret: SECRET,
        timestamp: String(NOW),
        signature,
        body: BODY,
        nowSeconds: NOW + 10,
        ...overrides,
      });
    expect(await verify({})).toEqual({ ok: true });
    expect(await verify({ nowSeconds: NOW + 300 })).toEqual({ ok: true });
    expect(await verify({ nowSeconds: NOW + 301 })).toEqual({
      ok: false,
      reason: "X-Slack-Request-Timestamp is more than 5 minutes off",
    });
    expect(await verify({ nowSeconds: NOW - 301 })).toEqual({
      ok: false,
      reason: "X-Slack-Request-Timestamp is more than 5 minutes off",
    });
    expect(await verify({ signature: undefined })).toEqual({
      ok: false,
      reason: "missing X-Slack-Request-Timestamp or X-Slack-Signature header",
    });
    expect(await verify({ timestamp: "soon" })).toEqual({
      ok: false,
      reason: "X-Slack-Request-Timestamp is not a Unix time",
    });
    expect(await verify({ signingSecret: "another-secret" })).toEqual({
      ok: false,
      reason: "X-Slack-Signature does not match the signing secret",
    });
    expect(await verify({ signature: signature.toUpperCase() })).toEqual({
      ok: false,
      reason: "X-Slack-Signature does not match the signing secret",
    });
  });
});
