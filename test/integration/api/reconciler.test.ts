// The Tailscale reconciler against the API fake (through the real HTTP client), with state
// set up through the routes on a real SQLite file.

import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcile } from "../../../src/api/reconciler/reconcile.ts";
import { listAudit } from "../../../src/api/storage/mutation.ts";
import { relayNodes } from "../../../src/api/storage/schema.ts";
import { TailscaleHttpClient } from "../../../src/api/tailscale/http-client.ts";
import type { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";
import type { ApiHarness } from "./harness.ts";
import { nodeHarness } from "./node-harness.ts";

const PREFIX = "fd4e:2a91:7c3d:6464::/96";
const FOREIGN_SPLIT = { "corp.example": ["10.0.0.53"], "lab.internal": ["100.64.9.9"] };

describe("Tailscale reconciler", () => {
  let api: ApiHarness;
  let fake: FakeTailscaleApi;
  let sleeps: number[];
  let agentToken: string;

  function client(options: { maxAttempts?: number } = {}) {
    return new TailscaleHttpClient({
      baseUrl: "http://127.0.0.1:9",
      tailnet: "-",
      auth: { kind: "apiKey", apiKey: "tskey-api-test" },
      fetch: fake.fetch,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
  }

  const run = (tailscale = client()) =>
    reconcile({ database: api.database, tailscale, now: () => new Date() });

  const report = (token: string, body: Record<string, unknown>) =>
    call("POST", "/v1/agent/status", { appliedRevision: 0, ...body }, token);

  async function statusOf(relay: string) {
    const status = (await call("GET", "/v1/status")) as {
      relays: {
        name: string;
        tailscale: { drift: string[]; splitDns: { domain: string; inSync: boolean }[] };
      }[];
    };
    return status.relays.find((r) => r.name === relay)?.tailscale;
  }

  async function call(method: string, path: string, body?: unknown, token = api.adminToken) {
    const response = await api.request(method, path, {
      token,
      ...(body === undefined ? {} : { body }),
    });
    expect(response.status).toBeLessThan(300);
    return response.status === 204
      ? undefined
      : ((await response.json()) as Record<string, unknown>);
  }

  beforeEach(async () => {
    api = await nodeHarness();
    fake = api.fake;
    sleeps = [];
    fake.splitDns = structuredClone(FOREIGN_SPLIT);
    fake.addDevice({
      nodeId: "nEdge1",
      hostname: "edge-1",
      addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"],
      advertisedRoutes: ["10.1.0.0/16", PREFIX],
      enabledRoutes: ["10.1.0.0/16", "0.0.0.0/0"],
    });
    fake.addDevice({
      nodeId: "nOther",
      hostname: "other",
      advertisedRoutes: ["192.168.1.0/24"],
      enabledRoutes: ["192.168.1.0/24"],
    });
    const created = (await call("POST", "/v1/relays", { name: "edge", prefix: PREFIX })) as {
      agentToken: string;
    };
    agentToken = created.agentToken;
    await call(
      "POST",
      "/v1/agent/status",
      {
        nodeId: "nEdge1",
        hostname: "edge-1",
        addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"],
        appliedRevision: 0,
      },
      agentToken,
    );
    await call("POST", "/v1/split-domains", {
      name: "r9929",
      realSuffix: "tail1234.ts.net",
      relay: "edge",
    });
  });
  afterEach(async () => {
    await api.close();
  });

  it("converges in one run and the next run changes nothing", async () => {
    const first = await run();
    expect(first.ok).toBe(true);
    expect(first.changes).toEqual([
      "split DNS r9929 → 100.64.0.1, fd7a:115c:a1e0::1",
      `approved ${PREFIX} on edge-1`,
    ]);
    const callsAfterFirst = fake.calls.length;
    const second = await run();
    expect(second.changes).toEqual([]);
    expect(second.relays.edge?.drift).toEqual([]);
    const writes = fake.calls.slice(callsAfterFirst).filter((c) => c.method !== "GET");
    expect(writes).toEqual([]);
    const audit = (await listAudit(api.database, 100)).filter(
      (a) => a.verb === "tailscale.reconcile",
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "system",
      outcome: "ok",
      input: { changes: first.changes },
    });
  });

  it("never sends PUT for split DNS, and foreign split DNS entries and approved routes survive every change", async () => {
    await run();
    await call("POST", "/v1/split-domains", {
      name: "via7",
      realSuffix: "example.org",
      relay: "edge",
    });
    await run();
    await call("DELETE", "/v1/split-domains/r9929");
    await run();
    await call("DELETE", "/v1/split-domains/via7");
    await call("DELETE", "/v1/relays/edge");
    const last = await run();
    expect(last.ok).toBe(true);

    expect(fake.calls.filter((c) => c.method === "PUT")).toEqual([]);
    expect(fake.splitDns).toEqual(FOREIGN_SPLIT);
    const edge = fake.devices.find((d) => d.nodeId === "nEdge1");
    expect(edge?.enabledRoutes).toEqual(["10.1.0.0/16", "0.0.0.0/0"]);
    expect(fake.devices.find((d) => d.nodeId === "nOther")?.enabledRoutes).toEqual([
      "192.168.1.0/24",
    ]);
    // Every PATCH named only our domains.
    for (const patch of fake.callsMatching("PATCH", /split-dns/)) {
      for (const domain of Object.keys(patch.body as object))
        expect(["r9929", "via7"]).toContain(domain);
    }
    expect(fake.callsMatching("PATCH", /split-dns/).map((c) => c.body)).toContainEqual({
      r9929: null,
    });
    expect(last.changes).toContain(`un-approved ${PREFIX} on edge-1`);
  });

  it("restores a domain someone changed in the console, touching no other domain", async () => {
    await run();
    fake.splitDns = { ...fake.splitDns, r9929: ["8.8.8.8"] };
    const report = await run();
    expect(report.changes).toEqual(["split DNS r9929 → 100.64.0.1, fd7a:115c:a1e0::1"]);
    expect(fake.callsMatching("PATCH", /split-dns/).at(-1)?.body).toEqual({
      r9929: ["100.64.0.1", "fd7a:115c:a1e0::1"],
    });
  });

  it("approves a route only on a node the device list shows advertising it, and reports drift otherwise", async () => {
    const edge = fake.devices.find((d) => d.nodeId === "nEdge1");
    if (!edge) throw new Error("fixture");
    edge.advertisedRoutes = ["10.1.0.0/16"];
    const report = await run();
    expect(fake.callsMatching("POST", /routes$/)).toEqual([]);
    expect(report.relays.edge?.drift.join("\n")).toContain("does not advertise it yet");
    const status = (await call("GET", "/v1/status")) as {
      relays: { tailscale: { drift: string[] } }[];
    };
    expect(status.relays[0]?.tailscale.drift.join("\n")).toContain("does not advertise it yet");
  });

  it("asks for devices with fields=all and reads routes before replacing them", async () => {
    await run();
    expect(fake.callsMatching("GET", /\/devices/).map((c) => c.path)).toEqual([
      "/tailnet/-/devices?fields=all",
    ]);
    const routeCalls = fake.calls
      .filter((c) => c.path.startsWith("/device/nEdge1/routes"))
      .map((c) => c.method);
    expect(routeCalls).toEqual(["GET", "POST"]);
  });

  it("a 429 storm with Retry-After ends converged, honouring the waits it was told", async () => {
    fake.inject({ status: 429, retryAfterSeconds: 2, times: 40 });
    const tailscale = client({ maxAttempts: 4 });
    const reports = [];
    for (let round = 0; round < 20; round++) {
      const report = await run(tailscale);
      reports.push(report);
      if (report.ok && report.changes.length === 0) break;
    }
    const last = reports.at(-1);
    expect(last?.ok).toBe(true);
    expect(reports.some((r) => !r.ok && /429/.test(r.error ?? ""))).toBe(true);
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms === 2000)).toBe(true);
    expect(fake.splitDns).toEqual({ ...FOREIGN_SPLIT, r9929: ["100.64.0.1", "fd7a:115c:a1e0::1"] });
    expect(fake.devices.find((d) => d.nodeId === "nEdge1")?.enabledRoutes).toContain(PREFIX);
    expect(fake.calls.filter((c) => c.method === "PUT")).toEqual([]);
  });

  it("retries 5xx answers with backoff and still converges in one run", async () => {
    fake.inject({ status: 503, times: 2, match: /^PATCH / });
    const report = await run();
    expect(report.ok).toBe(true);
    expect(fake.callsMatching("PATCH", /split-dns/).map((c) => c.status)).toEqual([503, 503, 200]);
    expect(sleeps).toHaveLength(2);
  });

  it("reports a rejected API key (401) without writing anything", async () => {
    const bad = new TailscaleHttpClient({
      baseUrl: "http://127.0.0.1:9",
      tailnet: "-",
      auth: { kind: "apiKey", apiKey: "tskey-api-wrong" },
      fetch: fake.fetch,
    });
    const report = await run(bad);
    expect(report.ok).toBe(false);
    expect(report.error).toContain("401");
    expect(fake.calls.every((c) => c.method === "GET")).toBe(true);
    const status = (await call("GET", "/v1/status")) as {
      tailscale: { ok: boolean; error: string };
    };
    expect(status.tailscale).toMatchObject({ ok: false });
  });

  it("reports an unknown device (404 on routes) as an error of that run", async () => {
    fake.inject({ status: 404, match: /^GET \/device\// });
    const report = await run();
    expect(report.ok).toBe(false);
    expect(report.error).toContain("404");
  });

  it("with OAuth client credentials fetches one access token and reuses it until it expires", async () => {
    fake.oauthClients.push({ clientId: "kclient", clientSecret: "tskey-client-secret" });
    let clock = Date.now();
    const oauth = new TailscaleHttpClient({
      baseUrl: "http://127.0.0.1:9",
      tailnet: "-",
      auth: { kind: "oauth", clientId: "kclient", clientSecret: "tskey-client-secret" },
      fetch: fake.fetch,
      now: () => clock,
    });
    await run(oauth);
    await run(oauth);
    const tokenCalls = () => fake.calls.filter((c) => c.path === "/oauth/token");
    expect(tokenCalls()).toHaveLength(1);
    expect(tokenCalls()[0]?.body).toContain("client_id=kclient");
    clock += 3600 * 1000;
    await run(oauth);
    expect(tokenCalls()).toHaveLength(2);
  });

  it("moves the approval when a relay's prefix changes, keeping the node's other routes", async () => {
    await run();
    const next = "fd4e:2a91:7c3d:7777::/96";
    const edge = fake.devices.find((d) => d.nodeId === "nEdge1");
    if (!edge) throw new Error("fixture");
    edge.advertisedRoutes = ["10.1.0.0/16", next];
    const response = await api.request("PATCH", "/v1/relays/edge", {
      token: api.adminToken,
      body: { prefix: next },
    });
    expect(response.status).toBe(200);
    const report = await run();
    expect(report.ok).toBe(true);
    expect(edge.enabledRoutes).toEqual(["10.1.0.0/16", "0.0.0.0/0", next]);
    expect(report.changes).toEqual([
      `approved ${next} on edge-1`,
      `un-approved ${PREFIX} on edge-1`,
    ]);
  });

  it("waits for the relay's agent before setting split DNS for its domain", async () => {
    await call("POST", "/v1/relays", { name: "quiet", prefix: "fd11:2233:4455:6464::/96" });
    await call("POST", "/v1/split-domains", {
      name: "rq",
      realSuffix: "quiet.example",
      relay: "quiet",
    });
    const report = await run();
    expect(report.relays.quiet?.splitDns).toEqual([
      expect.objectContaining({ domain: "rq", desired: null, inSync: false }),
    ]);
    expect(fake.splitDns).not.toHaveProperty("rq");
  });
  it("takes split DNS nameservers from the device list, not from the agent's report", async () => {
    await report(agentToken, { nodeId: "nEdge1", hostname: "edge-1", addresses: ["100.64.0.1"] });
    await run();
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "fd7a:115c:a1e0::1"]);
  });

  it("skips a node the device list does not know and a node naming another device, showing drift", async () => {
    const other = fake.devices.find((d) => d.nodeId === "nOther");
    if (!other) throw new Error("fixture");
    other.advertisedRoutes = ["192.168.1.0/24", PREFIX];
    await report(agentToken, { nodeId: "nGhost", hostname: "ghost", addresses: ["100.64.0.77"] });
    // An agent claiming nOther's identity with its own addresses.
    await report(agentToken, { nodeId: "nOther", hostname: "edge-2", addresses: ["100.64.0.1"] });
    const result = await run();
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "fd7a:115c:a1e0::1"]);
    expect(fake.callsMatching("POST", /\/device\/nOther\/routes$/)).toEqual([]);
    expect(other.enabledRoutes).toEqual(["192.168.1.0/24"]);
    expect(fake.devices.find((d) => d.nodeId === "nEdge1")?.enabledRoutes).toContain(PREFIX);
    const drift = (await statusOf("edge"))?.drift.join("\n") ?? "";
    expect(drift).toContain("ghost (nGhost): not in the device list");
    expect(drift).toContain("edge-2 (nOther): reported 100.64.0.1, but the device list shows");
    expect(result.relays.edge?.routes.find((r) => r.nodeId === "nOther")?.approved).toBeNull();
  });

  it("an agent naming another relay's device cannot keep that device's old approval alive", async () => {
    await run();
    const next = "fd4e:2a91:7c3d:7777::/96";
    const edge = fake.devices.find((d) => d.nodeId === "nEdge1");
    if (!edge) throw new Error("fixture");
    edge.advertisedRoutes = ["10.1.0.0/16", next];
    await call("PATCH", "/v1/relays/edge", { prefix: next });
    // The freed prefix goes to a new relay whose agent claims to be nEdge1.
    const mallory = (await call("POST", "/v1/relays", { name: "mallory", prefix: PREFIX })) as {
      agentToken: string;
    };
    await report(mallory.agentToken, {
      nodeId: "nEdge1",
      hostname: "edge-1",
      addresses: ["100.64.0.50"],
    });
    const result = await run();
    expect(edge.enabledRoutes).toEqual(["10.1.0.0/16", "0.0.0.0/0", next]);
    expect(result.changes).toContain(`un-approved ${PREFIX} on edge-1`);
    expect(result.relays.mallory?.drift.join("\n")).toContain("reported 100.64.0.50");
  });

  it("drops a relay node from the nameservers once it has been silent for 3 report intervals (default 3 × 30 s)", async () => {
    fake.addDevice({ nodeId: "nEdge2", hostname: "edge-2", addresses: ["100.64.0.2"] });
    await report(agentToken, { nodeId: "nEdge2", hostname: "edge-2", addresses: ["100.64.0.2"] });
    await run();
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "100.64.0.2", "fd7a:115c:a1e0::1"]);

    // 2 minutes: past 3 × 30 s, well within the old fixed 600 s, so the test tells them apart.
    const twoMinutesAgo = new Date(Date.now() - 2 * 60_000).toISOString();
    await api.database.db
      .update(relayNodes)
      .set({ lastSeenAt: twoMinutesAgo })
      .where(eq(relayNodes.nodeId, "nEdge2"));
    const result = await run();
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "fd7a:115c:a1e0::1"]);
    expect(result.relays.edge?.drift.join("\n")).toContain(
      `node edge-2 (nEdge2): last heartbeat ${twoMinutesAgo} is older than 90 s`,
    );

    // The limit is configurable; a node seen within it counts again.
    await reconcile({
      database: api.database,
      tailscale: client(),
      now: () => new Date(),
      nodeStaleSeconds: 3600,
    });
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "100.64.0.2", "fd7a:115c:a1e0::1"]);
  });

  it("keeps a node seen within 3 report intervals", async () => {
    const result = await reconcile({
      database: api.database,
      tailscale: client(),
      now: () => new Date(Date.now() + 60_000),
    });
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "fd7a:115c:a1e0::1"]);
    expect(result.relays.edge?.drift.join("\n") ?? "").not.toContain("older than");
  });

  it("uses no node at all when every heartbeat is stale, and says so", async () => {
    const later = new Date(Date.now() + 2 * 60_000);
    const result = await reconcile({
      database: api.database,
      tailscale: client(),
      now: () => later,
    });
    expect(fake.splitDns).not.toHaveProperty("r9929");
    expect(fake.callsMatching("POST", /routes$/)).toEqual([]);
    expect(result.relays.edge?.splitDns).toEqual([
      expect.objectContaining({ domain: "r9929", desired: null, inSync: false }),
    ]);
    expect(result.relays.edge?.drift.join("\n")).toContain("older than 90 s");
  });

  it("shows split DNS out of sync, with a drift line, when its PATCH is refused", async () => {
    fake.inject({ status: 400, match: /^PATCH / });
    const result = await run();
    expect(result.ok).toBe(false);
    expect(result.relays.edge?.splitDns).toEqual([
      expect.objectContaining({ domain: "r9929", inSync: false }),
    ]);
    expect(result.changes).not.toContain("split DNS r9929 → 100.64.0.1, fd7a:115c:a1e0::1");
    const status = await statusOf("edge");
    expect(status?.splitDns.every((entry) => entry.inSync)).toBe(false);
    expect(status?.drift.join("\n")).toContain(
      "split DNS for r9929: absent, wanted 100.64.0.1, fd7a:115c:a1e0::1",
    );
  });

  it("one relay's refused split DNS PATCH leaves the other relays converged and routes approved", async () => {
    const alphaPrefix = "fd11:2233:4455:6464::/96";
    const alpha = (await call("POST", "/v1/relays", { name: "alpha", prefix: alphaPrefix })) as {
      agentToken: string;
    };
    fake.addDevice({
      nodeId: "nAlpha",
      hostname: "alpha-1",
      addresses: ["100.64.0.9"],
      advertisedRoutes: [alphaPrefix],
    });
    await report(alpha.agentToken, {
      nodeId: "nAlpha",
      hostname: "alpha-1",
      addresses: ["100.64.0.9"],
    });
    await call("POST", "/v1/split-domains", {
      name: "ra",
      realSuffix: "alpha.example",
      relay: "alpha",
    });
    // Relays go in name order: alpha's PATCH is the first one, and Tailscale refuses it.
    fake.inject({ status: 400, match: /^PATCH /, times: 1 });
    const result = await run();
    expect(result.ok).toBe(false);
    expect(result.error).toContain('relay "alpha"');
    expect(fake.splitDns).not.toHaveProperty("ra");
    expect(fake.splitDns.r9929).toEqual(["100.64.0.1", "fd7a:115c:a1e0::1"]);
    expect(fake.devices.find((d) => d.nodeId === "nAlpha")?.enabledRoutes).toEqual([alphaPrefix]);
    expect(fake.devices.find((d) => d.nodeId === "nEdge1")?.enabledRoutes).toContain(PREFIX);
    expect((await statusOf("edge"))?.drift).toEqual([]);
    expect((await statusOf("alpha"))?.drift.join("\n")).toContain("split DNS for ra");

    const next = await run();
    expect(next.ok).toBe(true);
    expect(fake.splitDns.ra).toEqual(["100.64.0.9"]);
  });
});
