// The HTTP route suite, run against Node + SQLite (routes.test.ts) and inside workerd with D1
// (test/workers/routes.test.ts). Everything goes through app.request().
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RelayConfig, RelaySettings } from "../../../src/core/config/relay-config.ts";
import type { ApiHarness } from "./harness.ts";

const STANDALONE_KEYS = new Set([...Object.keys(RelaySettings.shape), "splitDomains"]);

interface ErrorJson {
  error: {
    code: string;
    message: string;
    requestId: string;
    problems?: { path: string; message: string }[];
  };
}

export type HarnessFactory = (mode: "apply" | "plan") => Promise<ApiHarness>;

export function describeRouteSuite(runtime: string, makeHarness: HarnessFactory): void {
  describe(`control API routes (${runtime})`, () => {
    let api: ApiHarness;
    let admin: string;

    beforeEach(async () => {
      api = await makeHarness("apply");
      admin = api.adminToken;
    });
    afterEach(async () => {
      await api.close();
    });

    async function createRelay(name: string, extra: Record<string, unknown> = {}) {
      const response = await api.request("POST", "/v1/relays", {
        token: admin,
        body: { name, ...extra },
      });
      expect(response.status).toBe(201);
      return (await response.json()) as {
        relay: Record<string, unknown> & { etag: string; prefix: string };
        agentToken: string;
      };
    }

    async function addDomain(name: string, relay: string, realSuffix = "tail1234.ts.net") {
      return api.request("POST", "/v1/split-domains", {
        token: admin,
        body: { name, realSuffix, relay },
      });
    }

    it("answers /healthz without a token", async () => {
      const response = await api.request("GET", "/healthz");
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ ok: true });
    });

    it("publishes an OpenAPI 3.1 document and a docs page", async () => {
      const doc = (await (await api.request("GET", "/openapi.json")).json()) as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      };
      expect(doc.openapi).toBe("3.1.0");
      for (const path of [
        "/v1/relays",
        "/v1/relays/{name}",
        "/v1/split-domains",
        "/v1/tokens",
        "/v1/status",
        "/v1/sync",
        "/v1/agent/config",
        "/v1/agent/status",
        "/healthz",
      ]) {
        expect(doc.paths).toHaveProperty([path]);
      }
      expect(Object.keys(doc.paths["/v1/relays/{name}"] ?? {})).toEqual(
        expect.arrayContaining(["get", "patch", "delete"]),
      );
      const docs = await api.request("GET", "/docs");
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain("swagger");
    });

    it("refuses requests without a token, with an unknown token, or with a malformed header", async () => {
      for (const token of [
        undefined,
        "n64r_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "nonsense",
      ]) {
        const response = await api.request("GET", "/v1/relays", token ? { token } : {});
        expect(response.status).toBe(401);
        const body = (await response.json()) as ErrorJson;
        expect(body.error.code).toBe("unauthenticated");
        expect(body.error.requestId).toMatch(/\S/);
      }
    });

    it("creates a relay with every standalone key but splitDomains and returns its agent token once", async () => {
      const body = {
        name: "edge-fra",
        prefix: "fd4e:2a91:7c3d:6464::/96",
        pool: "192.168.240.0/20",
        listen: ["100.101.102.103:53"],
        upstreams: ["100.100.100.100", "1.1.1.1:53"],
        allowFrom: ["100.64.0.0/10"],
        overlayInterface: "tailscale0",
        egressInterfaces: ["eth0"],
        engine: "tayga",
        advertise: true,
        maxTtl: 120,
        cacheSize: 5000,
        upstreamTimeoutMs: 900,
        rateLimit: { queriesPerSecond: 50, burst: 100, action: "drop" },
        metricsListen: "127.0.0.1:9153",
        queryLog: true,
      };
      const response = await api.request("POST", "/v1/relays", { token: admin, body });
      expect(response.status).toBe(201);
      expect(response.headers.get("etag")).toBe('"1"');
      const created = (await response.json()) as {
        relay: Record<string, unknown>;
        agentToken: string;
      };
      expect(created.relay).toMatchObject({ ...body, etag: '"1"' });
      expect(created.agentToken).toMatch(/^n64r_/);
      const list = (await (await api.request("GET", "/v1/relays", { token: admin })).json()) as {
        relays: unknown[];
      };
      expect(JSON.stringify(list)).not.toContain(created.agentToken);
    });

    it("generates a unique-local /96 prefix when the body has none", async () => {
      const { relay } = await createRelay("edge");
      expect(relay.prefix).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:6464::\/96$/);
    });

    it("answers 400 naming each bad field path, and writes nothing", async () => {
      const response = await api.request("POST", "/v1/relays", {
        token: admin,
        body: {
          name: "Bad Name",
          upstreams: ["not a host:99999"],
          pool: "100.64.0.0/20",
          splitDomains: [],
        },
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorJson;
      expect(body.error.code).toBe("invalid_input");
      const paths = body.error.problems?.map((p) => p.path) ?? [];
      expect(paths).toEqual(expect.arrayContaining(["name", "upstreams.0"]));
      expect(paths.some((p) => p === "" || p === "splitDomains")).toBe(true);
      const list = (await (await api.request("GET", "/v1/relays", { token: admin })).json()) as {
        relays: unknown[];
      };
      expect(list.relays).toEqual([]);
    });

    it("answers 400 for semantic relay errors (pool inside 100.64.0.0/10) with the field path", async () => {
      const response = await api.request("POST", "/v1/relays", {
        token: admin,
        body: { name: "edge", pool: "100.64.0.0/20" },
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorJson;
      expect(body.error.problems?.map((p) => p.path)).toContain("pool");
    });

    it("answers 400 for a body that is not JSON", async () => {
      const response = await api.request("POST", "/v1/relays", { token: admin, body: "{nope" });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorJson).error.code).toBe("invalid_input");
    });

    it("answers 409 for a duplicate relay name and for an overlapping prefix", async () => {
      await createRelay("edge", { prefix: "fd4e:2a91:7c3d:6464::/96" });
      const duplicate = await api.request("POST", "/v1/relays", {
        token: admin,
        body: { name: "edge" },
      });
      expect(duplicate.status).toBe(409);
      const overlap = await api.request("POST", "/v1/relays", {
        token: admin,
        body: { name: "edge2", prefix: "fd4e:2a91:7c3d:6464::/96" },
      });
      expect(overlap.status).toBe(409);
      expect(((await overlap.json()) as ErrorJson).error.message).toContain("overlaps");
    });

    it("answers 404 for unknown relays and split domains", async () => {
      expect((await api.request("GET", "/v1/relays/nope", { token: admin })).status).toBe(404);
      expect((await api.request("DELETE", "/v1/relays/nope", { token: admin })).status).toBe(404);
      expect((await api.request("GET", "/v1/split-domains/nope", { token: admin })).status).toBe(
        404,
      );
      const unknownRelay = await addDomain("r9929", "nope");
      expect(unknownRelay.status).toBe(404);
      expect(((await unknownRelay.json()) as ErrorJson).error.problems?.[0]?.path).toBe("relay");
    });

    it("PATCH with a stale If-Match answers 412 and changes nothing; with the current one it applies", async () => {
      await createRelay("edge");
      const stale = await api.request("PATCH", "/v1/relays/edge", {
        token: admin,
        body: { maxTtl: 60 },
        headers: { "if-match": '"7"' },
      });
      expect(stale.status).toBe(412);
      expect(((await stale.json()) as ErrorJson).error.code).toBe("precondition_failed");
      const fresh = await api.request("PATCH", "/v1/relays/edge", {
        token: admin,
        body: { maxTtl: 60 },
        headers: { "if-match": '"1"' },
      });
      expect(fresh.status).toBe(200);
      expect(fresh.headers.get("etag")).toBe('"2"');
      const relay = (await (
        await api.request("GET", "/v1/relays/edge", { token: admin })
      ).json()) as Record<string, unknown>;
      expect(relay).toMatchObject({ maxTtl: 60, upstreams: ["100.100.100.100"], etag: '"2"' });
    });

    it("PATCH with null removes an optional key and resets a defaulted one", async () => {
      await createRelay("edge", { rateLimit: { queriesPerSecond: 10 }, maxTtl: 30 });
      const response = await api.request("PATCH", "/v1/relays/edge", {
        token: admin,
        body: { rateLimit: null, maxTtl: null },
      });
      expect(response.status).toBe(200);
      const relay = (await response.json()) as Record<string, unknown>;
      expect(relay).not.toHaveProperty("rateLimit");
      expect(relay.maxTtl).toBe(300);
      const prefixReset = await api.request("PATCH", "/v1/relays/edge", {
        token: admin,
        body: { prefix: null },
      });
      expect(prefixReset.status).toBe(400);
    });

    it("PATCH rejects unknown keys and renaming with 400", async () => {
      await createRelay("edge");
      const response = await api.request("PATCH", "/v1/relays/edge", {
        token: admin,
        body: { name: "x", maxTtl: -1 },
      });
      expect(response.status).toBe(400);
      const paths = ((await response.json()) as ErrorJson).error.problems?.map((p) => p.path) ?? [];
      expect(paths).toContain("maxTtl");
    });

    it("concurrent PATCHes with the same ETag: one wins, the rest get 412, and retries lose nothing", async () => {
      await createRelay("edge");
      const changes = [
        { maxTtl: 61 },
        { cacheSize: 7777 },
        { queryLog: true },
        { upstreamTimeoutMs: 777 },
        { advertise: false },
      ];
      const results = await Promise.all(
        changes.map((body) =>
          api.request("PATCH", "/v1/relays/edge", {
            token: admin,
            body,
            headers: { "if-match": '"1"' },
          }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412, 412, 412, 412]);
      // Each loser re-reads and retries with the fresh ETag, as a client should.
      for (const [index, result] of results.entries()) {
        if (result.status === 200) continue;
        const current = await api.request("GET", "/v1/relays/edge", { token: admin });
        const retry = await api.request("PATCH", "/v1/relays/edge", {
          token: admin,
          body: changes[index],
          headers: { "if-match": current.headers.get("etag") ?? "" },
        });
        expect(retry.status).toBe(200);
      }
      const relay = (await (
        await api.request("GET", "/v1/relays/edge", { token: admin })
      ).json()) as Record<string, unknown>;
      expect(relay).toMatchObject({
        maxTtl: 61,
        cacheSize: 7777,
        queryLog: true,
        upstreamTimeoutMs: 777,
        advertise: false,
        etag: '"6"',
      });
    });

    it("adds a split domain, returns the all-digit warning, and refuses overlaps with 409 and the reason", async () => {
      await createRelay("edge");
      const added = await addDomain("9929", "edge");
      expect(added.status).toBe(201);
      const body = (await added.json()) as {
        splitDomain: { name: string; relay: string };
        warnings: { code: string }[];
      };
      expect(body.splitDomain).toMatchObject({
        name: "9929",
        relay: "edge",
        realSuffix: "tail1234.ts.net",
      });
      expect(body.warnings.map((w) => w.code)).toEqual(["numeric_last_label"]);

      const inside = await addDomain("a.9929", "edge", "example.net");
      expect(inside.status).toBe(409);
      expect(((await inside.json()) as ErrorJson).error.message).toContain(
        "overlaps existing split domain",
      );
      const again = await addDomain("9929", "edge");
      expect(again.status).toBe(409);
      expect(((await again.json()) as ErrorJson).error.message).toContain("already exists");
      const clean = await addDomain("r9929", "edge");
      expect(clean.status).toBe(201);
      expect(((await clean.json()) as { warnings: unknown[] }).warnings).toEqual([]);
    });

    it("answers 409 for a real suffix at, below or above an existing split domain (a loop through the relay)", async () => {
      await createRelay("edge");
      expect((await addDomain("r9929", "edge")).status).toBe(201);
      expect((await addDomain("lab.r77", "edge")).status).toBe(201);
      for (const [name, realSuffix, other] of [
        ["x", "foo.r9929", "r9929"],
        ["y", "r9929", "r9929"],
        ["z", "r77", "lab.r77"],
      ] as const) {
        const looped = await addDomain(name, "edge", realSuffix);
        expect(looped.status).toBe(409);
        const error = ((await looped.json()) as ErrorJson).error;
        expect(error.message).toContain(`overlaps split domain "${other}"`);
        expect(error.problems?.map((p) => p.path)).toEqual(["realSuffix"]);
      }
      const names = (await (
        await api.request("GET", "/v1/split-domains", { token: admin })
      ).json()) as { splitDomains: { name: string }[] };
      expect(names.splitDomains.map((d) => d.name)).toEqual(["lab.r77", "r9929"]);
    });

    it("answers 400 for a split domain that nests with its own real suffix or has a bad name", async () => {
      await createRelay("edge");
      const nested = await addDomain("x.tail1234.ts.net", "edge");
      expect(nested.status).toBe(400);
      expect(((await nested.json()) as ErrorJson).error.problems?.[0]?.path).toBe("name");
      const missing = await api.request("POST", "/v1/split-domains", {
        token: admin,
        body: { name: "r1" },
      });
      expect(missing.status).toBe(400);
      const paths = ((await missing.json()) as ErrorJson).error.problems?.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(["realSuffix", "relay"]));
    });

    it("removes a split domain only with a matching If-Match, and refuses deleting a relay that still has one", async () => {
      await createRelay("edge");
      expect((await addDomain("r9929", "edge")).status).toBe(201);
      expect((await api.request("DELETE", "/v1/relays/edge", { token: admin })).status).toBe(409);
      const stale = await api.request("DELETE", "/v1/split-domains/r9929", {
        token: admin,
        headers: { "if-match": '"2"' },
      });
      expect(stale.status).toBe(412);
      const removed = await api.request("DELETE", "/v1/split-domains/r9929", {
        token: admin,
        headers: { "if-match": '"1"' },
      });
      expect(removed.status).toBe(204);
      expect((await api.request("GET", "/v1/split-domains/r9929", { token: admin })).status).toBe(
        404,
      );
      expect((await api.request("DELETE", "/v1/relays/edge", { token: admin })).status).toBe(204);
    });

    it("serves the agent its config with exactly the standalone file's keys, parsed by core's RelayConfig", async () => {
      const { agentToken } = await createRelay("edge", { upstreams: ["100.100.100.100"] });
      await addDomain("r9929", "edge");
      const response = await api.request("GET", "/v1/agent/config", { token: agentToken });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { revision: number; config: Record<string, unknown> };
      expect(response.headers.get("etag")).toBe(`"${body.revision}"`);
      for (const key of Object.keys(body.config)) expect(STANDALONE_KEYS.has(key)).toBe(true);
      const parsed = RelayConfig.safeParse(body.config);
      expect(parsed.success).toBe(true);
      expect(parsed.data?.splitDomains).toEqual([{ name: "r9929", realSuffix: "tail1234.ts.net" }]);
    });

    it("answers 304 to If-None-Match while the revision is unchanged, 200 after a change", async () => {
      const { agentToken } = await createRelay("edge");
      const first = await api.request("GET", "/v1/agent/config", { token: agentToken });
      const etag = first.headers.get("etag") ?? "";
      const unchanged = await api.request("GET", "/v1/agent/config", {
        token: agentToken,
        headers: { "if-none-match": etag },
      });
      expect(unchanged.status).toBe(304);
      await addDomain("r9929", "edge");
      const changed = await api.request("GET", "/v1/agent/config", {
        token: agentToken,
        headers: { "if-none-match": etag },
      });
      expect(changed.status).toBe(200);
      expect(changed.headers.get("etag")).not.toBe(etag);
    });

    it("a long poll returns as soon as the revision changes", async () => {
      const { agentToken } = await createRelay("edge");
      const etag =
        (await api.request("GET", "/v1/agent/config", { token: agentToken })).headers.get("etag") ??
        "";
      const started = Date.now();
      const poll = api.request("GET", "/v1/agent/config?wait=20", {
        token: agentToken,
        headers: { "if-none-match": etag },
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await addDomain("r9929", "edge")).status).toBe(201);
      const response = await poll;
      const elapsed = Date.now() - started;
      expect(response.status).toBe(200);
      expect(elapsed).toBeLessThan(5000);
      const body = (await response.json()) as { config: { splitDomains: { name: string }[] } };
      expect(body.config.splitDomains.map((d) => d.name)).toEqual(["r9929"]);
    });

    it("a long poll with nothing changing answers 304 when its wait is over", async () => {
      const { agentToken } = await createRelay("edge");
      const etag =
        (await api.request("GET", "/v1/agent/config", { token: agentToken })).headers.get("etag") ??
        "";
      const started = Date.now();
      const response = await api.request("GET", "/v1/agent/config?wait=1", {
        token: agentToken,
        headers: { "if-none-match": etag },
      });
      expect(response.status).toBe(304);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });

    it("keeps agents to their own relay and operators away from tokens", async () => {
      const { agentToken } = await createRelay("edge");
      expect((await api.request("GET", "/v1/relays", { token: agentToken })).status).toBe(403);
      expect((await api.request("GET", "/v1/agent/config", { token: admin })).status).toBe(403);
      const created = await api.request("POST", "/v1/tokens", {
        token: admin,
        body: { name: "ops", scope: "operator" },
      });
      expect(created.status).toBe(201);
      const { secret } = (await created.json()) as { secret: string };
      expect((await api.request("GET", "/v1/relays", { token: secret })).status).toBe(200);
      expect((await api.request("GET", "/v1/tokens", { token: secret })).status).toBe(403);
      expect(
        (
          await api.request("POST", "/v1/tokens", {
            token: secret,
            body: { name: "x", scope: "admin" },
          })
        ).status,
      ).toBe(403);
    });

    it("shows a token's secret once, lists tokens without secrets, and revoked tokens stop working", async () => {
      const created = (await (
        await api.request("POST", "/v1/tokens", {
          token: admin,
          body: { name: "ci", scope: "operator" },
        })
      ).json()) as {
        token: { id: string };
        secret: string;
      };
      const listText = await (await api.request("GET", "/v1/tokens", { token: admin })).text();
      expect(listText).toContain(created.token.id);
      expect(listText).not.toContain(created.secret);
      expect(listText).not.toMatch(/secretHash|secret_hash/);
      expect(
        (await api.request("DELETE", `/v1/tokens/${created.token.id}`, { token: admin })).status,
      ).toBe(204);
      expect((await api.request("GET", "/v1/relays", { token: created.secret })).status).toBe(401);
    });

    it("records the agent's identity and applied revision in /v1/status", async () => {
      const { agentToken } = await createRelay("edge");
      const config = (await (
        await api.request("GET", "/v1/agent/config", { token: agentToken })
      ).json()) as { revision: number };
      const report = await api.request("POST", "/v1/agent/status", {
        token: agentToken,
        body: {
          nodeId: "nEdge1",
          hostname: "edge-1",
          addresses: ["100.64.0.1"],
          appliedRevision: config.revision,
          doctor: { ok: true },
        },
      });
      expect(report.status).toBe(200);
      expect(await report.json()).toMatchObject({ relay: "edge", upToDate: true });
      const bad = await api.request("POST", "/v1/agent/status", {
        token: agentToken,
        body: { nodeId: "", addresses: [] },
      });
      expect(bad.status).toBe(400);
      const status = (await (await api.request("GET", "/v1/status", { token: admin })).json()) as {
        relays: {
          name: string;
          nodes: { nodeId: string; upToDate: boolean; lastSeenAt: string }[];
        }[];
      };
      expect(status.relays[0]?.nodes).toEqual([
        expect.objectContaining({ nodeId: "nEdge1", upToDate: true }),
      ]);
    });

    it("refuses an agent report whose addresses are not Tailscale addresses or whose node id is malformed", async () => {
      const { agentToken } = await createRelay("edge");
      const report = (body: Record<string, unknown>) =>
        api.request("POST", "/v1/agent/status", {
          token: agentToken,
          body: { nodeId: "nEdge1", hostname: "edge-1", appliedRevision: 0, ...body },
        });
      for (const addresses of [["8.8.8.8"], ["100.64.0.1", "not-an-ip"], ["fd00::1"]]) {
        const refused = await report({ addresses });
        expect(refused.status).toBe(400);
        const body = (await refused.json()) as ErrorJson;
        expect(body.error.problems?.map((p) => p.path)).toEqual([
          `addresses.${addresses.length - 1}`,
        ]);
      }
      expect((await report({ nodeId: "../nOther", addresses: ["100.64.0.1"] })).status).toBe(400);
      const accepted = await report({ addresses: ["fd7a:115c:a1e0:0::1", "100.127.255.254"] });
      expect(accepted.status).toBe(200);
      const status = (await (await api.request("GET", "/v1/status", { token: admin })).json()) as {
        relays: { nodes: { addresses: string[] }[] }[];
      };
      expect(status.relays[0]?.nodes[0]?.addresses).toEqual([
        "100.127.255.254",
        "fd7a:115c:a1e0::1",
      ]);
    });

    it("writes one audit record per mutation and records refusals with their error code", async () => {
      await createRelay("edge");
      await addDomain("r9929", "edge");
      const stale = await api.request("PATCH", "/v1/relays/edge", {
        token: admin,
        body: { maxTtl: 5 },
        headers: { "if-match": '"9"' },
      });
      expect(stale.status).toBe(412);
      const duplicate = await api.request("POST", "/v1/relays", {
        token: admin,
        body: { name: "edge" },
      });
      expect(duplicate.status).toBe(409);
      const invalid = await api.request("POST", "/v1/relays", {
        token: admin,
        body: { name: "Bad Name" },
      });
      expect(invalid.status).toBe(400);
      const audit = (await (await api.request("GET", "/v1/audit", { token: admin })).json()) as {
        records: { verb: string; outcome: string; input: Record<string, unknown> }[];
      };
      expect(audit.records.map((r) => [r.verb, r.outcome])).toEqual([
        ["relay.create", "conflict"],
        ["relay.update", "precondition_failed"],
        ["split_domain.add", "ok"],
        ["relay.create", "ok"],
        ["token.create", "ok"],
      ]);
      expect(JSON.stringify(audit.records)).not.toContain("n64r_");
      const relay = (await (
        await api.request("GET", "/v1/relays/edge", { token: admin })
      ).json()) as {
        maxTtl: number;
      };
      expect(relay.maxTtl).toBe(300);
    });

    it("after a split domain is added, sync PATCHes exactly that domain and POSTs the union of routes", async () => {
      const { agentToken, relay } = await createRelay("edge", {
        prefix: "fd4e:2a91:7c3d:6464::/96",
      });
      api.fake.splitDns = { "corp.example": ["10.0.0.53"] };
      api.fake.addDevice({
        nodeId: "nEdge1",
        hostname: "edge-1",
        addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"],
        advertisedRoutes: ["10.1.0.0/16", relay.prefix],
        enabledRoutes: ["10.1.0.0/16"],
      });
      await api.request("POST", "/v1/agent/status", {
        token: agentToken,
        body: {
          nodeId: "nEdge1",
          hostname: "edge-1",
          addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"],
          appliedRevision: 0,
        },
      });
      expect((await addDomain("r9929", "edge")).status).toBe(201);
      const sync = await api.request("POST", "/v1/sync", { token: admin });
      expect(sync.status).toBe(200);
      expect(await sync.json()).toMatchObject({ mode: "apply", ok: true });

      const patches = api.fake.callsMatching("PATCH", /\/dns\/split-dns$/);
      expect(patches.map((c) => c.body)).toEqual([{ r9929: ["100.64.0.1", "fd7a:115c:a1e0::1"] }]);
      const posts = api.fake.callsMatching("POST", /\/device\/nEdge1\/routes$/);
      expect(posts.map((c) => c.body)).toEqual([
        { routes: ["10.1.0.0/16", "fd4e:2a91:7c3d:6464::/96"] },
      ]);
      expect(api.fake.calls.some((c) => c.method === "PUT")).toBe(false);
      expect(api.fake.splitDns).toEqual({
        "corp.example": ["10.0.0.53"],
        r9929: ["100.64.0.1", "fd7a:115c:a1e0::1"],
      });

      const status = (await (await api.request("GET", "/v1/status", { token: admin })).json()) as {
        relays: { tailscale: { drift: string[]; splitDns: { inSync: boolean }[] } }[];
      };
      expect(status.relays[0]?.tailscale.drift).toEqual([]);
      expect(status.relays[0]?.tailscale.splitDns.every((s) => s.inSync)).toBe(true);
    });
  });

  describe(`plan mode without Tailscale credentials (${runtime})`, () => {
    it("lists the admin-console steps instead of calling Tailscale", async () => {
      const api = await makeHarness("plan");
      try {
        const created = (await (
          await api.request("POST", "/v1/relays", {
            token: api.adminToken,
            body: { name: "edge", prefix: "fd4e:2a91:7c3d:6464::/96" },
          })
        ).json()) as { agentToken: string };
        await api.request("POST", "/v1/agent/status", {
          token: created.agentToken,
          body: {
            nodeId: "nEdge1",
            hostname: "edge-1",
            addresses: ["100.64.0.1"],
            appliedRevision: 0,
          },
        });
        await api.request("POST", "/v1/split-domains", {
          token: api.adminToken,
          body: { name: "r9929", realSuffix: "tail1234.ts.net", relay: "edge" },
        });
        const report = (await (
          await api.request("POST", "/v1/sync", { token: api.adminToken })
        ).json()) as {
          mode: string;
          steps: string[];
        };
        expect(report.mode).toBe("plan");
        expect(report.steps.join("\n")).toContain(
          'the agent "edge-1" reported "100.64.0.1": use them only if Machines shows the same), turn on "Restrict to domain (Split DNS)" and enter "r9929"',
        );
        expect(report.steps.join("\n")).toContain('Machines → "edge-1" (node ID "nEdge1")');
        expect(report.steps.join("\n")).toContain("fd4e:2a91:7c3d:6464::/96");
        expect(api.fake.calls).toEqual([]);
      } finally {
        await api.close();
      }
    });
  });
}
