// The real `nat64-relay api` process: start on a free port with a temp database, first-start
// bootstrap token, /healthz, and a reconcile through real HTTP against the loopback fake.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";
import { type FakeTailscaleServer, serveFakeTailscale } from "../../fakes/tailscale-api-server.ts";
import { BIN, start, stop } from "./api-process.ts";

describe("nat64-relay api (real Node process)", () => {
  let dir: string;
  let fake: FakeTailscaleApi;
  let fakeServer: FakeTailscaleServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nat64-relay-proc-"));
    fake = new FakeTailscaleApi({ apiKeys: ["tskey-api-proc"] });
    fake.addDevice({
      nodeId: "nProc1",
      hostname: "edge-1",
      addresses: ["100.64.0.7"],
      advertisedRoutes: ["fd4e:2a91:7c3d:6464::/96"],
      enabledRoutes: ["10.9.0.0/16"],
    });
    fake.splitDns = { "corp.example": ["10.0.0.53"] };
    fakeServer = await serveFakeTailscale(fake);
    env = {
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_PATH: join(dir, "data", "api.db"),
      TAILSCALE_API_KEY: "tskey-api-proc",
      TAILSCALE_API_BASE_URL: fakeServer.url,
      RECONCILE_INTERVAL_SECONDS: "0",
      LOG_LEVEL: "info",
      ADMIN_TOKEN: "",
    };
  });
  afterAll(async () => {
    await fakeServer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves /healthz, prints the bootstrap token once, reconciles against TAILSCALE_API_BASE_URL, and owns its database file", async () => {
    const first = await start(env);
    try {
      const health = await fetch(`${first.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      const token = /(n64r_[a-z2-7]{16}_[a-z2-7]{43})/.exec(first.output())?.[1];
      expect(token).toBeDefined();
      const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const relay = await fetch(`${first.url}/v1/relays`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ name: "edge", prefix: "fd4e:2a91:7c3d:6464::/96" }),
      });
      expect(relay.status).toBe(201);
      const { agentToken } = (await relay.json()) as { agentToken: string };
      const status = await fetch(`${first.url}/v1/agent/status`, {
        method: "POST",
        headers: { authorization: `Bearer ${agentToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          nodeId: "nProc1",
          hostname: "edge-1",
          addresses: ["100.64.0.7"],
          appliedRevision: 0,
        }),
      });
      expect(status.status).toBe(200);
      const domain = await fetch(`${first.url}/v1/split-domains`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ name: "r9929", realSuffix: "tail1234.ts.net", relay: "edge" }),
      });
      expect(domain.status).toBe(201);
      const sync = await fetch(`${first.url}/v1/sync`, { method: "POST", headers: auth });
      expect(await sync.json()).toMatchObject({ mode: "apply", ok: true });
      expect(fake.splitDns).toEqual({ "corp.example": ["10.0.0.53"], r9929: ["100.64.0.7"] });
      expect(fake.devices[0]?.enabledRoutes).toEqual(["10.9.0.0/16", "fd4e:2a91:7c3d:6464::/96"]);
      expect(fake.calls.some((c) => c.method === "PUT")).toBe(false);

      // A second server on the same database file refuses to start.
      const second = spawn(process.execPath, [BIN, "api"], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      second.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => second.once("exit", resolve));
      expect(code).toBe(1);
      expect(stderr).toContain("is in use by another server");
    } finally {
      expect(await stop(first.child)).toBe(0);
    }

    const second = await start(env);
    try {
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
      expect(second.output()).not.toContain("bootstrap admin token");
    } finally {
      await stop(second.child);
    }
  });

  it("refuses to start with a bad configuration value, naming the key", async () => {
    const child = spawn(process.execPath, [BIN, "api"], {
      env: { ...process.env, PORT: "99999", DATABASE_PATH: join(dir, "never.db") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("PORT");
  });
});
