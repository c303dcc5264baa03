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
import { ADMIN_TOKEN, type BotHarness, Gate, SLACK_SETTINGS } from "./bot-suite.ts";

/** A Tailscale client whose requests go to an in-process fetch handler (a fake). */
export function inProcessTailscale(
  handler: (input: string | URL | Request, init?: RequestInit) => Promise<Response>,
): TailscaleHttpClient {
  return new TailscaleHttpClient({
    baseUrl: "http://127.0.0.1:9", // never dialled: fetch is the in-process fake
    tailnet: "-",
    auth: { kind: "apiKey", apiKey: "tskey-api-test" },
    fetch: handler as typeof fetch,
    sleep: async () => {},
  });
}

/** A quiet API on 127.0.0.1 (random port) with its database in `dir`, no reconcile timer. */
export function apiSettings(dir: string): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_PATH: join(dir, "api.db"),
    ADMIN_TOKEN,
    RECONCILE_INTERVAL_SECONDS: "0",
    LOG_LEVEL: "silent",
  };
}

/** Calls the control API at `baseUrl` as admin (or with `token`). */
export function apiClient(baseUrl: string): BotHarness["api"] {
  return (method, path, body, token = ADMIN_TOKEN) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

export async function nodeBotHarness(extra: Record<string, string> = {}): Promise<BotHarness> {
  const dir = mkdtempSync(join(tmpdir(), "nat64-relay-bot-"));
  const slack = new FakeSlackApi();
  const slackServer = await serveFetch((input, init) => slack.fetch(input, init));
  const tailscale = new FakeTailscaleApi();
  const gate = new Gate();
  const settings = {
    ...apiSettings(dir),
    ...SLACK_SETTINGS,
    SLACK_API_URL: `${slackServer.url}/api/`,
    ...extra,
  };
  const api = await startNodeApi(readApiEnv(settings), {
    slack: readSlackEnv(settings),
    print: () => {},
    tailscale: inProcessTailscale((input, init) =>
      gate.pass().then(() => tailscale.fetch(input, init)),
    ),
  });
  return {
    slack,
    tailscale,
    responseUrl: (id) => `${slackServer.url}/response/${id}`,
    postSlack: (body, headers) =>
      fetch(`${api.url}/slack/events`, { method: "POST", headers, body }),
    api: apiClient(api.url),
    settle: async () => {},
    holdTailscale: () => gate.hold(),
    async close() {
      await api.close();
      await slackServer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
