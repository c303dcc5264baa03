// The API says what failed: an access-log line per request, one line per failed Tailscale sync
// with its cause, connect errors without retries, /metrics, and a port in use as one line.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessNotifier } from "../../../src/api/change-signal.ts";
import { loadNodeSwaggerUi } from "../../../src/api/docs/node-swagger-ui.ts";
import type { LogFields } from "../../../src/api/observe/log.ts";
import { openNodeDatabase } from "../../../src/api/storage/node-sqlite.ts";
import { TailscaleHttpClient, TailscaleHttpError } from "../../../src/api/tailscale/http-client.ts";
import { closedPort, logLinesWhen, runToExit, start, stop } from "./api-process.ts";
import { buildHarness } from "./harness.ts";
import { nodeHarness } from "./node-harness.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nat64-relay-observe-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const baseEnv = (name: string) => ({
  HOST: "127.0.0.1",
  PORT: "0",
  DATABASE_PATH: join(dir, name, "api.db"),
  RECONCILE_INTERVAL_SECONDS: "0",
  LOG_LEVEL: "info",
  ADMIN_TOKEN: "",
});

describe("the Tailscale client against an address nothing listens on", () => {
  it("fails at the first attempt and names ECONNREFUSED with the address", async () => {
    const port = await closedPort();
    const sleeps: number[] = [];
    const client = new TailscaleHttpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      tailnet: "-",
      auth: { kind: "apiKey", apiKey: "tskey-api-x" },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const error = await client.listDevices().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TailscaleHttpError);
    expect((error as TailscaleHttpError).reason).toBe("ECONNREFUSED");
    expect((error as TailscaleHttpError).message).toBe(
      `GET /api/v2/tailnet/-/devices?fields=all: cannot reach the Tailscale API at http://127.0.0.1:${port}: ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(sleeps).toEqual([]);
  });
});

describe("nat64-relay api with an unreachable Tailscale API", () => {
  it("answers POST /v1/sync with the cause, logs one line per failed sync and per request, and counts both", async () => {
    const port = await closedPort();
    const server = await start({
      ...baseEnv("unreachable"),
      TAILSCALE_API_KEY: "tskey-api-x",
      TAILSCALE_API_BASE_URL: `http://127.0.0.1:${port}`,
    });
    try {
      const token = /(n64r_[a-z2-7]{16}_[a-z2-7]{43})/.exec(server.output())?.[1];
      const auth = { authorization: `Bearer ${token}` };
      const sync = await fetch(`${server.url}/v1/sync`, { method: "POST", headers: auth });
      expect(sync.status).toBe(200);
      const report = (await sync.json()) as { ok: boolean; causes?: string[]; error?: string };
      expect(report.ok).toBe(false);
      expect(report.causes).toEqual(["ECONNREFUSED"]);
      expect(report.error).toContain(`ECONNREFUSED 127.0.0.1:${port}`);

      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await metrics.text();
      const lines = await logLinesWhen(
        server,
        (all) => all.filter((line) => line.event === "request").length >= 2,
      );
      // The start-up run and the POST: the same number of runs, failures and log lines.
      const failures = lines.filter((line) => line.event === "sync_failed");
      expect(failures.length).toBeGreaterThanOrEqual(1);
      for (const line of failures) {
        expect(line).toMatchObject({ level: 40, mode: "apply", causes: ["ECONNREFUSED"] });
        expect(line.error).toContain("ECONNREFUSED");
      }
      expect(text).toContain(`nat64_relay_api_sync_runs_total{outcome="ok"} 0\n`);
      expect(text).toContain(
        `nat64_relay_api_sync_runs_total{outcome="failed"} ${failures.length}\n`,
      );
      expect(text).toContain(
        `nat64_relay_api_sync_failures_total{cause="ECONNREFUSED"} ${failures.length}\n`,
      );
      expect(text).toContain(
        `nat64_relay_api_requests_total{method="POST",route="/v1/sync",status="200"} 1\n`,
      );

      const requests = lines.filter((line) => line.event === "request");
      expect(
        requests.map(({ method, path, route, status }) => ({ method, path, route, status })),
      ).toEqual([
        { method: "POST", path: "/v1/sync", route: "/v1/sync", status: 200 },
        { method: "GET", path: "/metrics", route: "/metrics", status: 200 },
      ]);
      expect(typeof requests[0]?.requestId).toBe("string");
      expect(requests[0]?.requestId).toBe(sync.headers.get("x-request-id"));
    } finally {
      expect(await stop(server.child)).toBe(0);
    }
  });
});

describe("nat64-relay api on a port in use", () => {
  it("says so in one line, exits 1, and keeps the bootstrap token for the start that listens", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
    const port = (holder.address() as { port: number }).port;
    const env = baseEnv("in-use");
    try {
      const failed = await runToExit({ ...env, PORT: String(port) });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(
        `nat64-relay api: cannot listen on 127.0.0.1:${port}: the address is already in use (another server on that port? set PORT)\n`,
      );
      expect(failed.stdout).not.toContain("bootstrap admin token");
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    const server = await start(env);
    try {
      expect(server.output()).toContain("bootstrap admin token (shown once, store it now)");
    } finally {
      await stop(server.child);
    }
  });
});

describe("GET /metrics and the access log (app)", () => {
  it("counts requests by route pattern and status, unmatched paths under one label, and relay nodes up", async () => {
    const harness = await nodeHarness();
    try {
      const relay = await harness.request("POST", "/v1/relays", {
        token: harness.adminToken,
        body: { name: "tokyo", pool: "192.168.240.0/20" },
      });
      expect(relay.status).toBe(201);
      const { agentToken } = (await relay.json()) as { agentToken: string };
      const reported = await harness.request("POST", "/v1/agent/status", {
        token: agentToken,
        body: { nodeId: "n1", hostname: "tokyo-1", addresses: ["100.64.0.9"], appliedRevision: 0 },
      });
      expect(reported.status).toBe(200);
      expect(
        (await harness.request("GET", "/v1/relays/tokyo", { token: harness.adminToken })).status,
      ).toBe(200);
      expect(
        (await harness.request("GET", "/v1/relays/osaka", { token: harness.adminToken })).status,
      ).toBe(404);
      expect((await harness.request("GET", "/wp-login.php")).status).toBe(404);
      expect((await harness.request("GET", "/.env")).status).toBe(404);

      const text = await (await harness.request("GET", "/metrics")).text();
      const requests = text
        .split("\n")
        .filter((line) => line.startsWith("nat64_relay_api_requests_total{"))
        .sort();
      expect(requests).toEqual([
        'nat64_relay_api_requests_total{method="GET",route="/v1/relays/:name",status="200"} 1',
        'nat64_relay_api_requests_total{method="GET",route="/v1/relays/:name",status="404"} 1',
        'nat64_relay_api_requests_total{method="GET",route="unmatched",status="404"} 2',
        'nat64_relay_api_requests_total{method="POST",route="/v1/agent/status",status="200"} 1',
        'nat64_relay_api_requests_total{method="POST",route="/v1/relays",status="201"} 1',
      ]);
      expect(text).toContain('nat64_relay_api_relay_nodes{state="up"} 1\n');
      expect(text).toContain('nat64_relay_api_relay_nodes{state="down"} 0\n');
      expect(text).toContain("# TYPE nat64_relay_api_requests_total counter\n");
    } finally {
      await harness.close();
    }
  });

  it("logs one line per request, also for refused and failed ones", async () => {
    const lines: LogFields[] = [];
    const { database, close } = await openNodeDatabase(join(dir, "log", "api.db"));
    const harness = await buildHarness({
      database,
      changeSignal: new InProcessNotifier(),
      log: { info: (fields) => lines.push(fields), warn: () => {}, error: () => {} },
      close: async () => close(),
      loadSwaggerUi: loadNodeSwaggerUi,
    });
    try {
      await harness.request("GET", "/healthz");
      await harness.request("GET", "/v1/relays");
      await harness.request("POST", "/v1/relays", {
        token: harness.adminToken,
        body: { name: "Not A Name" },
      });
      expect(
        lines.map(({ event, method, path, route, status }) => ({
          event,
          method,
          path,
          route,
          status,
        })),
      ).toEqual([
        { event: "request", method: "GET", path: "/healthz", route: "/healthz", status: 200 },
        { event: "request", method: "GET", path: "/v1/relays", route: "/v1/relays", status: 401 },
        { event: "request", method: "POST", path: "/v1/relays", route: "/v1/relays", status: 400 },
      ]);
      for (const line of lines) {
        expect(typeof line.requestId).toBe("string");
        expect(typeof line.ms).toBe("number");
      }
    } finally {
      await harness.close();
    }
  });
});
