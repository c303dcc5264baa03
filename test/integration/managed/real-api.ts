// The real control API (createApp over node:sqlite, the Node entry) on 127.0.0.1, with the
// Tailscale API fake in-process, for the managed-mode agent parts to talk to over loopback HTTP.
// It can be stopped and started again on the same port and database: "the API is down".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readApiEnv } from "../../../src/api/env.ts";
import { type NodeApi, startNodeApi } from "../../../src/api/node.ts";
import { TailscaleHttpClient } from "../../../src/api/tailscale/http-client.ts";
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";

export interface RealApi {
  readonly url: string;
  readonly fake: FakeTailscaleApi;
  readonly adminToken: string;
  /** Every request the agents made (method and path), in order. */
  readonly agentRequests: string[];
  /** A fetch that records agent requests: hand it to the agent side. */
  readonly fetch: typeof fetch;
  call(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
  createRelay(name: string, extra?: Record<string, unknown>): Promise<string>;
  addDomain(name: string, relay: string): Promise<void>;
  revoke(agentToken: string): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRealApi(env: Record<string, string> = {}): Promise<RealApi> {
  const dir = mkdtempSync(join(tmpdir(), "nat64-relay-managed-"));
  const fake = new FakeTailscaleApi();
  const tailscale = new TailscaleHttpClient({
    baseUrl: "http://127.0.0.1:9", // never dialled: fetch is the in-process fake
    tailnet: "-",
    auth: { kind: "apiKey", apiKey: "tskey-api-test" },
    fetch: fake.fetch,
  });
  let port = 0;
  let node: NodeApi | undefined;
  let adminToken = "";
  const agentRequests: string[] = [];
  const open = async () => {
    node = await startNodeApi(
      readApiEnv({
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_PATH: join(dir, "api.db"),
        RECONCILE_INTERVAL_SECONDS: "0",
        LOG_LEVEL: "silent",
        ...env,
      }),
      { tailscale, print: () => {} },
    );
    port = node.port;
    adminToken ||= node.bootstrapToken ?? "";
  };
  await open();
  const url = `http://127.0.0.1:${port}`;
  const api: RealApi = {
    url,
    fake,
    get adminToken() {
      return adminToken;
    },
    agentRequests,
    fetch: (input, init) => {
      const target = new URL(input instanceof Request ? input.url : String(input));
      agentRequests.push(`${init?.method ?? "GET"} ${target.pathname}${target.search}`);
      return fetch(input, init);
    },
    async call(method, path, body, token = adminToken) {
      return fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async createRelay(name, extra = {}) {
      const response = await api.call("POST", "/v1/relays", { name, ...extra });
      if (response.status !== 201) throw new Error(`create relay: ${await response.text()}`);
      return ((await response.json()) as { agentToken: string }).agentToken;
    },
    async addDomain(name, relay) {
      const response = await api.call("POST", "/v1/split-domains", {
        name,
        realSuffix: "tail1234.ts.net",
        relay,
      });
      if (response.status !== 201) throw new Error(`add domain: ${await response.text()}`);
    },
    async revoke(agentToken) {
      const id = /^n64r_([a-z2-7]{16})_/.exec(agentToken)?.[1];
      const response = await api.call("DELETE", `/v1/tokens/${id}`);
      if (response.status !== 204) throw new Error(`revoke: ${await response.text()}`);
    },
    async stop() {
      await node?.close();
      node = undefined;
    },
    start: open,
    async close() {
      await node?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}
