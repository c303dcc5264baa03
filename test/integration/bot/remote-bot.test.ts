// `nat64-relay bot` against a remote API: the standalone bot (Bolt, its own loopback listener)
// calls a real API process's HTTP routes with an operator token; confirmations are refreshed by
// polling GET /v1/status.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readApiEnv } from "../../../src/api/env.ts";
import { type NodeApi, startNodeApi } from "../../../src/api/node.ts";
import { readBotEnv } from "../../../src/bot/env.ts";
import { signSlackRequest } from "../../../src/bot/http/verify-signature.ts";
import { type StandaloneBot, startStandaloneBot } from "../../../src/bot/standalone.ts";
import { type FetchServer, serveFetch } from "../../fakes/fetch-server.ts";
import { FakeSlackApi } from "../../fakes/slack-api.ts";
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";
import { ALLOWED, CHANNEL, OTHER, SIGNING_SECRET, TEAM } from "./bot-suite.ts";
import { apiClient, apiSettings, inProcessTailscale } from "./node-harness.ts";

describe("nat64-relay bot (remote API over HTTP)", () => {
  let dir: string;
  let api: NodeApi;
  let bot: StandaloneBot;
  let slack: FakeSlackApi;
  let slackServer: FetchServer;
  let tailscale: FakeTailscaleApi;

  let call: ReturnType<typeof apiClient>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "nat64-relay-remote-bot-"));
    tailscale = new FakeTailscaleApi();
    api = await startNodeApi(readApiEnv(apiSettings(dir)), {
      print: () => {},
      tailscale: inProcessTailscale(tailscale.fetch),
    });
    call = apiClient(api.url);
    const operator = (await (
      await call("POST", "/v1/tokens", { name: "slack-bot", scope: "operator" })
    ).json()) as { secret: string };
    slack = new FakeSlackApi();
    slackServer = await serveFetch((input, init) => slack.fetch(input, init));
    bot = await startStandaloneBot(
      readBotEnv({
        NAT64_RELAY_API_URL: api.url,
        NAT64_RELAY_API_TOKEN: operator.secret,
        HOST: "127.0.0.1",
        PORT: "0",
        BOT_REFRESH_SECONDS: "1",
        LOG_LEVEL: "silent",
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_API_URL: `${slackServer.url}/api/`,
        SLACK_ALLOWED_USERS: ALLOWED,
      }),
    );
  });

  afterEach(async () => {
    await bot.close();
    await api.close();
    await slackServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(what: string, predicate: () => boolean | Promise<boolean>) {
    for (let round = 0; round < 400; round++) {
      if (await predicate()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async function command(text: string, user = ALLOWED) {
    const id = `r${Math.random().toString(36).slice(2)}`;
    const body = new URLSearchParams({
      team_id: TEAM,
      channel_id: CHANNEL,
      user_id: user,
      command: "/relay",
      text,
      response_url: `${slackServer.url}/response/${id}`,
    }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${bot.url}/slack/events`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": await signSlackRequest(SIGNING_SECRET, timestamp, body),
      },
      body,
    });
    expect(response.status).toBe(200);
    return id;
  }

  it("adds a split domain through the API and updates the confirmation from GET /v1/status", async () => {
    const created = await call("POST", "/v1/relays", { name: "edge" });
    const { relay, agentToken } = (await created.json()) as {
      relay: { prefix: string; configRevision: number };
      agentToken: string;
    };
    tailscale.addDevice({
      nodeId: "nEdge1",
      hostname: "edge-1",
      addresses: ["100.64.0.1"],
      advertisedRoutes: [relay.prefix],
    });
    const report = (appliedRevision: number) =>
      call(
        "POST",
        "/v1/agent/status",
        { nodeId: "nEdge1", hostname: "edge-1", addresses: ["100.64.0.1"], appliedRevision },
        agentToken,
      );
    expect((await report(relay.configRevision)).status).toBe(200);

    await command("add-domain r9929 real.test");
    await until("the confirmation", () => slack.messages.length === 1);
    const message = slack.messages[0]!;
    expect(FakeSlackApi.textsOf(message.blocks)[0]).toMatch(
      /^:white_check_mark: <@UALLOWED> added split domain `r9929`: `host.r9929` → `host.real.test` through relay `edge` \(config revision \d+\)\.$/,
    );
    expect((await call("GET", "/v1/split-domains/r9929")).status).toBe(200);
    await until("split DNS", () => tailscale.splitDns.r9929 !== undefined);
    const current = (
      (await (await call("GET", "/v1/relays/edge")).json()) as { configRevision: number }
    ).configRevision;
    expect((await report(current)).status).toBe(200);
    await until(
      "the final update",
      () => FakeSlackApi.textsOf(message.blocks).at(-1) === "All done.",
    );
    expect(FakeSlackApi.textsOf(message.blocks)[1]).toBe(
      [
        ":white_check_mark: Split DNS for `r9929`: set, queries go to 100.64.0.1",
        `:white_check_mark: Route \`${relay.prefix}\` on \`edge-1\`: approved`,
        `:white_check_mark: Node \`edge-1\` applied revision ${current}`,
      ].join("\n"),
    );
  });

  it("refuses a disallowed user without calling the API's mutation", async () => {
    expect((await call("POST", "/v1/relays", { name: "edge" })).status).toBe(201);
    const id = await command("add-domain r9929 real.test", OTHER);
    await until("the refusal", () => slack.responses.some((reply) => reply.id === id));
    const reply = slack.responses.find((candidate) => candidate.id === id)!.body;
    expect(reply.response_type).toBe("ephemeral");
    expect(FakeSlackApi.textsOf(reply.blocks)[0]).toBe(
      `:warning: you (${OTHER}) may not change split domains: you are not in SLACK_ALLOWED_USERS nor in a group of SLACK_ALLOWED_USERGROUPS; ask an admin to add you`,
    );
    expect((await call("GET", "/v1/split-domains/r9929")).status).toBe(404);
  });
});
