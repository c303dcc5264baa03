// The bot suite's Node harness: the real API entry (startNodeApi: SQLite file, Bolt mounted
// at POST /slack/events) on 127.0.0.1, the Slack fake behind a loopback server (Bolt's auth.test,
// chat.*, response_url), the Tailscale fake in-process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readApiEnv } from "../../../src/api/env.ts";
import { startNodeApi } from "../../../src/api/node.ts";
import { TailscaleHttpClient } from "../../../src/api/tailscale/http-client.ts";
import { readSlackEnv } from "../../../src/bot/env.ts";
import { serveFetch } from "../../fakes/fetch-server.ts";
import { FakeSlackApi } from "../../fakes/slack-api.ts";
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";
import { ADMIN_TOKEN, type BotHarness, SLACK_SETTINGS } from "./bot-suite.ts";

export async function nodeBotHarness(extra: Record<string, string> = {}): Promise<BotHarness> {
  const dir = mkdtempSync(join(tmpdir(), "nat64-relay-bot-"));
  const slack = new FakeSlackApi();
  const slackServer = await serveFetch((input, init) => slack.fetch(input, init));
  const tailscale = new FakeTailscaleApi();
  let gate: Promise<void> = Promise.resolve();
  const settings = {
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_PATH: join(dir, "api.db"),
    ADMIN_TOKEN,
    RECONCILE_INTERVAL_SECONDS: "0",
    LOG_LEVEL: "silent",
    ...SLACK_SETTINGS,
    SLACK_API_URL: `${slackServer.url}/api/`,
    ...extra,
  };
  const api = await startNodeApi(readApiEnv(settings), {
    slack: readSlackEnv(settings),
    print: () => {},
    tailscale: new TailscaleHttpClient({
      baseUrl: "http://127.0.0.1:9", // never dialled: fetch is the in-process fake
      tailnet: "-",
      auth: { kind: "apiKey", apiKey: "tskey-api-test" },
      fetch: (input, init) => gate.then(() => tailscale.fetch(input, init)),
      sleep: async () => {},
    }),
  });
  return {
    slack,
    tailscale,
    responseUrl: (id) => `${slackServer.url}/response/${id}`,
    postSlack: (body, headers) =>
      fetch(`${api.url}/slack/events`, { method: "POST", headers, body }),
    api: (method, path, body, token = ADMIN_TOKEN) =>
      fetch(`${api.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    settle: async () => {},
    holdTailscale() {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    },
    async close() {
      await api.close();
      await slackServer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
