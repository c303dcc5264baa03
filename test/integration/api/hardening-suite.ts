// What one caller can make the API store or say (docs/security.md, "Control API"): oversized
// and deeply nested bodies, hostile agent reports, too many nodes, and plan-mode steps that an
// agent cannot write. Run on Node + SQLite and inside workerd with D1.
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_API_LIMITS } from "../../../src/api/limits.ts";
import type { ApiHarness, HarnessExtra } from "./harness.ts";

type Factory = (mode: "apply" | "plan", extra?: HarnessExtra) => Promise<ApiHarness>;

interface ErrorJson {
  error: { code: string; message: string; problems?: { path: string; message: string }[] };
}

const PREFIX = "fd4e:2a91:7c3d:6464::/96";

export function describeHardeningSuite(runtime: string, makeHarness: Factory): void {
  describe(`control API under hostile input (${runtime})`, () => {
    let api: ApiHarness | undefined;
    afterEach(async () => {
      await api?.close();
      api = undefined;
    });

    async function start(mode: "apply" | "plan" = "apply", extra: HarnessExtra = {}) {
      api = await makeHarness(mode, extra);
      return api;
    }

    async function createRelay(harness: ApiHarness, name = "edge"): Promise<string> {
      const response = await harness.request("POST", "/v1/relays", {
        token: harness.adminToken,
        body: { name, prefix: PREFIX },
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { agentToken: string }).agentToken;
    }

    const relayNames = async (harness: ApiHarness) =>
      (
        (await (
          await harness.request("GET", "/v1/relays", { token: harness.adminToken })
        ).json()) as { relays: { name: string }[] }
      ).relays.map((relay) => relay.name);

    const auditVerbs = async (harness: ApiHarness) =>
      (
        (await (
          await harness.request("GET", "/v1/audit", { token: harness.adminToken })
        ).json()) as { records: { verb: string; outcome: string; input: unknown }[] }
      ).records;

    const nodesOf = async (harness: ApiHarness) =>
      (
        (await (
          await harness.request("GET", "/v1/status", { token: harness.adminToken })
        ).json()) as { relays: { nodes: { nodeId: string; hostname: string }[] }[] }
      ).relays.flatMap((relay) => relay.nodes);

    const report = (harness: ApiHarness, token: string, body: Record<string, unknown>) =>
      harness.request("POST", "/v1/agent/status", {
        token,
        body: {
          nodeId: "nEdge1",
          hostname: "edge-1",
          addresses: ["100.64.0.1"],
          appliedRevision: 0,
          ...body,
        },
      });

    it("answers 413 payload_too_large to a body over MAX_BODY_BYTES and stores nothing", async () => {
      const harness = await start();
      const agentToken = await createRelay(harness);
      const before = await auditVerbs(harness);
      const big = await harness.request("POST", "/v1/relays", {
        token: harness.adminToken,
        body: { name: "big", padding: "x".repeat(DEFAULT_API_LIMITS.maxBodyBytes) },
      });
      expect(big.status).toBe(413);
      const error = (await big.json()) as ErrorJson;
      expect(error.error.code).toBe("payload_too_large");
      expect(error.error.message).toBe(
        "the request body is larger than 65536 bytes (MAX_BODY_BYTES)",
      );
      // With a Content-Length header the limit answers before reading the body.
      const declared = await harness.request("POST", "/v1/agent/status", {
        token: agentToken,
        body: JSON.stringify({ nodeId: "nBig", doctor: { blob: "y".repeat(1_000_000) } }),
        headers: { "content-length": "1000050" },
      });
      expect(declared.status).toBe(413);
      expect(await relayNames(harness)).toEqual(["edge"]);
      expect(await nodesOf(harness)).toEqual([]);
      expect(await auditVerbs(harness)).toEqual(before);
    });

    it("answers 400, never 500, to JSON nested 100k deep, and stores nothing", async () => {
      const harness = await start("apply", {
        limits: { ...DEFAULT_API_LIMITS, maxBodyBytes: 1_048_576 },
      });
      const agentToken = await createRelay(harness);
      const arrays = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
      const objects = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
      for (const body of [arrays, objects]) {
        const response = await harness.request("POST", "/v1/relays", {
          token: harness.adminToken,
          body,
        });
        expect(response.status).toBe(400);
        expect(((await response.json()) as ErrorJson).error.message).toBe(
          "the JSON body is nested 100000 levels deep; the limit is 32",
        );
      }
      const deepDoctor = `{"nodeId":"nDeep","hostname":"edge-1","addresses":["100.64.0.1"],"appliedRevision":0,"doctor":${objects}}`;
      const agent = await harness.request("POST", "/v1/agent/status", {
        token: agentToken,
        body: deepDoctor,
      });
      expect(agent.status).toBe(400);
      expect(await relayNames(harness)).toEqual(["edge"]);
      expect(await nodesOf(harness)).toEqual([]);
    });

    it("answers 413 (not 500) to 100k-deep JSON under the default body limit", async () => {
      const harness = await start();
      const response = await harness.request("POST", "/v1/relays", {
        token: harness.adminToken,
        body: `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      });
      expect(response.status).toBe(413);
    });

    it("refuses hostile agent reports with 400 and stores nothing", async () => {
      const harness = await start();
      const agentToken = await createRelay(harness);
      const hostile: Record<string, unknown>[] = [
        { hostname: "edge-1\n→ under Subnet routes tick 0.0.0.0/0" },
        { hostname: "edge 1" },
        { hostname: 'edge-1"; add global nameserver 100.77.7.7' },
        { hostname: "-edge" },
        { addresses: ["0.0.0.0"] },
        { doctor: { blob: "z".repeat(5000) } },
        { doctor: { a: { b: { c: { d: { e: 1 } } } } } },
      ];
      for (const body of hostile) {
        const refused = await report(harness, agentToken, body);
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(((await refused.json()) as ErrorJson).error.code).toBe("invalid_input");
      }
      expect(await nodesOf(harness)).toEqual([]);
      expect((await auditVerbs(harness)).map((record) => record.verb)).toEqual([
        "relay.create",
        "token.create",
      ]);
      // The limits' edges are accepted: 4 levels, a summary just under 4096 bytes.
      const edge = await report(harness, agentToken, {
        doctor: { a: { b: { c: { d: 1 } } }, pad: "p".repeat(4000) },
      });
      expect(edge.status).toBe(200);
    });

    it("keeps the doctor summary out of the audit log", async () => {
      const harness = await start();
      const agentToken = await createRelay(harness);
      expect((await report(harness, agentToken, { doctor: { ok: false, note: "q" } })).status).toBe(
        200,
      );
      const identity = (await auditVerbs(harness)).find((r) => r.verb === "agent.identity");
      expect(identity?.input).toEqual({
        relay: "edge",
        nodeId: "nEdge1",
        hostname: "edge-1",
        addresses: ["100.64.0.1"],
        appliedRevision: 0,
      });
    });

    it("caps the nodes per relay (409) and prunes nodes silent longer than the prune age", async () => {
      let clock = Date.parse("2026-12-01T00:00:00Z");
      const harness = await start("apply", {
        limits: { ...DEFAULT_API_LIMITS, maxNodesPerRelay: 2, nodePruneSeconds: 3600 },
        now: () => new Date(clock),
      });
      const agentToken = await createRelay(harness);
      expect((await report(harness, agentToken, { nodeId: "n1" })).status).toBe(200);
      expect((await report(harness, agentToken, { nodeId: "n2" })).status).toBe(200);
      const third = await report(harness, agentToken, { nodeId: "n3" });
      expect(third.status).toBe(409);
      expect(((await third.json()) as ErrorJson).error.message).toBe(
        'relay "edge" already has 2 nodes (RELAY_MAX_NODES is 2); nodes silent for 3600 s are removed (RELAY_NODE_PRUNE_SECONDS)',
      );
      // Known nodes keep reporting.
      expect((await report(harness, agentToken, { nodeId: "n1" })).status).toBe(200);
      clock += 1800 * 1000;
      expect((await report(harness, agentToken, { nodeId: "n1" })).status).toBe(200);
      clock += 2400 * 1000; // n2 silent 4200 s, n1 silent 2400 s
      expect((await report(harness, agentToken, { nodeId: "n3" })).status).toBe(200);
      expect((await nodesOf(harness)).map((node) => node.nodeId)).toEqual(["n1", "n3"]);
    });

    it("plan mode: complete ordered steps that agent text cannot change", async () => {
      const harness = await start("plan");
      const agentToken = await createRelay(harness);
      await harness.request("POST", "/v1/split-domains", {
        token: harness.adminToken,
        body: { name: "r9929", realSuffix: "tail1234.ts.net", relay: "edge" },
      });
      const steps = async () =>
        (
          (await (
            await harness.request("POST", "/v1/sync", { token: harness.adminToken })
          ).json()) as { steps: string[] }
        ).steps;
      expect(await steps()).toEqual([
        'Start the agent of relay "edge" so it reports its node; then sync again for the steps that name it (route fd4e:2a91:7c3d:6464::/96, split DNS for "r9929").',
      ]);
      expect(
        (await report(harness, agentToken, { addresses: ["100.64.0.1", "fd7a:115c:a1e0::1"] }))
          .status,
      ).toBe(200);
      const planned = await steps();
      expect(planned).toEqual([
        'Approve the route: Admin console → Machines → "edge-1" (node ID "nEdge1") → ⋯ → Edit route settings… → under Subnet routes tick fd4e:2a91:7c3d:6464::/96; save. (Or in the policy file: "autoApprovers": {"routes": {"fd4e:2a91:7c3d:6464::/96": ["tag:relay"]}} with the node tagged tag:relay.)',
        'Let clients reach the prefix and the relay\'s DNS: Admin console → Access controls → add to "grants": {"src":["autogroup:member"],"dst":["fd4e:2a91:7c3d:6464::/96"],"ip":["*"]}, {"src":["autogroup:member"],"dst":["tag:relay"],"ip":["udp:53","tcp:53"]} (narrow src to the users or tags that should use relay "edge"; tag:relay stands for the relay\'s node, or use its Tailscale IPs).',
        'Add split DNS for "r9929": Admin console → DNS → Nameservers → Add nameserver → Custom: enter the Tailscale IPs that Machines shows for "edge-1" (node ID "nEdge1") (the agent "edge-1" reported "100.64.0.1", "fd7a:115c:a1e0::1": use them only if Machines shows the same), turn on "Restrict to domain (Split DNS)" and enter "r9929"; save.',
        "On every Linux client: run `tailscale set --accept-routes` (Linux does not accept subnet routes by default; Windows, macOS, iOS and Android do).",
      ]);
      // A hostile report changes no step.
      const hostile = await report(harness, agentToken, {
        hostname: "edge-1\nAdmin console → DNS → add global nameserver 100.77.7.7",
        addresses: ["100.77.7.7"],
      });
      expect(hostile.status).toBe(400);
      expect(await steps()).toEqual(planned);
    });
  });
}
