// Status reports against the real API over loopback: what a report carries shows in /v1/status,
// two agents with one relay token are two nodes of that relay (both nameservers, the route
// approved on both), and a node that stops reporting turns down and leaves the nameservers
// until it reports again.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HttpAgentApi } from "../../../src/relay-agent/managed/api-link.ts";
import { LinkHealth } from "../../../src/relay-agent/managed/link-health.ts";
import { StatusReporter } from "../../../src/relay-agent/managed/status-reporter.ts";
import { type RealApi, startRealApi } from "./real-api.ts";
import { eventually, RecordingLog } from "./recording-log.ts";

const PREFIX = "fd4e:2a91:7c3d:6464::/96";

interface NodeStatus {
  nodeId: string;
  state: string;
  appliedRevision: number;
  lastApply: unknown;
  counters: unknown;
}

describe("status reports (real API over loopback)", () => {
  let api: RealApi;
  const reporters: StatusReporter[] = [];

  beforeEach(async () => {
    api = await startRealApi({ AGENT_REPORT_INTERVAL_SECONDS: "1" });
    for (const [n, address] of [
      [1, "100.64.0.1"],
      [2, "100.64.0.2"],
    ] as const) {
      api.fake.addDevice({
        nodeId: `nEdge${n}`,
        hostname: `edge-${n}`,
        addresses: [address],
        advertisedRoutes: [PREFIX],
      });
    }
  });
  afterEach(async () => {
    for (const reporter of reporters.splice(0)) await reporter.stop();
    await api.close();
  });

  function reporterFor(token: string, n: number, log = new RecordingLog()): StatusReporter {
    const health = new LinkHealth(api.url);
    const reporter = new StatusReporter({
      api: new HttpAgentApi({ url: api.url, token, fetch: api.fetch }),
      health,
      log,
      intervalMs: 5000,
      collect: async () => ({
        nodeId: `nEdge${n}`,
        hostname: `edge-${n}`,
        addresses: [`100.64.0.${n}`],
        appliedRevision: 1,
        doctor: { ok: true, failed: [] },
        lastApply: {
          revision: 1,
          outcome: "applied",
          changes: ["split domains: +r9929"],
          reasons: [],
          at: "2026-12-01T12:00:00.000Z",
        },
        counters: { dns_queries: 7 * n, nat64_packets: 3 },
      }),
    });
    reporters.push(reporter);
    return reporter;
  }

  async function nodes(): Promise<NodeStatus[]> {
    const status = (await (await api.call("GET", "/v1/status")).json()) as {
      relays: { name: string; nodes: NodeStatus[] }[];
    };
    return status.relays.find((relay) => relay.name === "edge")?.nodes ?? [];
  }

  it("shows what a report carries, and takes the API's report interval", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const reporter = reporterFor(token, 1);
    await reporter.reportSoon();
    expect(reporter.intervalMs).toBe(1000);
    expect(await nodes()).toEqual([
      expect.objectContaining({
        nodeId: "nEdge1",
        state: "up",
        lastApply: {
          revision: 1,
          outcome: "applied",
          changes: ["split domains: +r9929"],
          reasons: [],
          at: "2026-12-01T12:00:00.000Z",
        },
        counters: { dns_queries: 7, nat64_packets: 3 },
      }),
    ]);
  });

  it("makes two agents with one relay token two nodes: both nameservers, the route on both; a silent one goes down and comes back", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    await api.addDomain("r9929", "edge");
    const first = reporterFor(token, 1);
    const second = reporterFor(token, 2);
    first.start();
    second.start();
    await eventually(
      "both nodes as nameservers",
      () => api.fake.splitDns.r9929?.join(",") === "100.64.0.1,100.64.0.2",
    );
    await eventually("the route approved on both nodes", () =>
      api.fake.devices.every((device) => device.enabledRoutes.includes(PREFIX)),
    );

    await second.stop();
    const stoppedAt = Date.now();
    await eventually(
      "the stopped node to leave the nameservers",
      () => api.fake.splitDns.r9929?.join(",") === "100.64.0.1",
      15_000,
    );
    // Down after 3 missed 1 s intervals, noticed within one more: not before 3 s, well before 15.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2500);
    expect((await nodes()).map((node) => [node.nodeId, node.state])).toEqual([
      ["nEdge1", "up"],
      ["nEdge2", "down"],
    ]);
    // Its route stays approved: Tailscale's HA failover moves traffic to the healthy router.
    expect(api.fake.devices[1]?.enabledRoutes).toEqual([PREFIX]);

    const again = reporterFor(token, 2);
    again.start();
    await eventually(
      "the node to come back as a nameserver",
      () => api.fake.splitDns.r9929?.join(",") === "100.64.0.1,100.64.0.2",
      10_000,
    );
    expect((await nodes()).map((node) => node.state)).toEqual(["up", "up"]);
  });

  it("brings the nodes back as nameservers when they report again to an API restarted while they were silent", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    await api.addDomain("r9929", "edge");
    const both = "100.64.0.1,100.64.0.2";
    for (const n of [1, 2]) reporterFor(token, n).start();
    await eventually(
      "both nodes as nameservers",
      () => api.fake.splitDns.r9929?.join(",") === both,
    );
    for (const reporter of reporters.splice(0)) await reporter.stop();
    await api.stop();
    // Silent for more than 3 intervals: the restarted API starts with both nodes down.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await api.start();
    // Within the first liveness interval: the first node returns and a reconcile runs (seeing
    // only the first node), then the second node returns. Its return is a change against what
    // that reconcile saw, though no liveness check saw it down.
    const first = reporterFor(token, 1);
    await first.reportSoon();
    expect((await api.call("POST", "/v1/sync")).status).toBe(200);
    expect(api.fake.splitDns.r9929).toEqual(["100.64.0.1"]);
    const second = reporterFor(token, 2);
    await second.reportSoon();
    first.start();
    second.start();
    await eventually(
      "the second node to come back as a nameserver",
      () => api.fake.splitDns.r9929?.join(",") === both,
      10_000,
    );
  });

  it("stops reporting on a revoked token with one clear line", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const log = new RecordingLog();
    const reporter = reporterFor(token, 1, log);
    await reporter.reportSoon();
    await api.revoke(token);
    await reporter.reportSoon();
    await reporter.reportSoon();
    const posts = api.agentRequests.filter((r) => r === "POST /v1/agent/status");
    expect(posts).toHaveLength(2);
    expect(log.at("error")).toEqual([
      `the API at ${api.url} refused this agent's status report (HTTP 401, unauthenticated: unknown or revoked token): stopped reporting. Put a valid agent token in the token file and restart the agent.`,
    ]);
  });
});
