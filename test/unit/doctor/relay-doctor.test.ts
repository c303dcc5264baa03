import { describe, expect, it } from "vitest";
import { runClientDoctor } from "../../../src/relay-agent/doctor/client-doctor.ts";
import type { DnsProbe, DnsProbeResult } from "../../../src/relay-agent/doctor/dns-probe.ts";
import { runRelayDoctor } from "../../../src/relay-agent/doctor/relay-doctor.ts";
import { hostPaths, UNIT_NAME } from "../../../src/relay-agent/host/paths.ts";
import { OfflineSystemd } from "../../../src/relay-agent/host/systemd.ts";
import { fastPathRecordPath } from "../../../src/relay-agent/nat64/runtime.ts";
import { applyFastPath } from "../../../src/relay-agent/resources/accelerators/fast-path/controller.ts";
import { desiredFastPath } from "../../../src/relay-agent/resources/accelerators/fast-path/desired.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import { applyPlan, planDataPlane } from "../../../src/relay-agent/resources/plan.ts";
import { EMPTY_RECORD } from "../../../src/relay-agent/resources/record.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "../nat64/helpers.ts";

const answer = async (probe: DnsProbe): Promise<DnsProbeResult> =>
  probe.name === "example.com"
    ? { ok: true, rcode: "REFUSED", truncated: false, answers: [] }
    : {
        ok: true,
        rcode: "NOERROR",
        truncated: false,
        answers: [{ type: "AAAA", name: probe.name, data: "fd4e:2a91:7c3d:6464::c612:102" }],
      };

async function healthyRelay() {
  const root = await tempRoot();
  const paths = hostPaths(root);
  const config = resolvedConfig();
  const host = fakeHost();
  host.tailscale.statusJson = { Self: { HostName: "relay", PrimaryRoutes: [config.prefix] } };
  const desired = desiredDataPlane(config, paths);
  const plan = await planDataPlane(desired, host, EMPTY_RECORD);
  await applyPlan(plan, EMPTY_RECORD, async () => {});
  await applyFastPath(desiredFastPath(config, desired), host.bpf, fastPathRecordPath(paths));
  const systemd = new OfflineSystemd(root);
  await systemd.enable(UNIT_NAME);
  return { root, paths, config, host, systemd };
}

describe("runRelayDoctor", () => {
  it("passes on a healthy relay whose counters move", async () => {
    const relay = await healthyRelay();
    const checks = await runRelayDoctor({
      ...relay,
      query: answer,
      taygaRunning: async () => true,
      settleMs: 0,
      ping: async () => {
        relay.host.nft.bump("inet", "nat64_relay", "from_clients", 3);
        relay.host.nft.bump("inet", "nat64_relay", "to_clients", 3);
        return true;
      },
    });
    expect(checks.filter((c) => c.status !== "pass")).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual([
      "dns-udp",
      "dns-tcp",
      "no-cname",
      "refused-outside",
      "route",
      "unit",
      "sysctl",
      "table",
      "tayga",
      "fast-path",
      "foreign-drop",
      "traffic",
      "foreign-traffic",
    ]);
    expect(checks.find((c) => c.id === "fast-path")?.detail).toBe(
      "active on nat64relay: 0 clients mapped; fast path 0 packets (0 B), tayga 0 packets",
    );
    expect(checks.find((c) => c.id === "dns-udp")?.title).toBe(
      "AAAA relay.r9929 over UDP @[fd7a:115c:a1e0::1]:53",
    );
  });

  it("names the fast path's packet split, and why it is not active", async () => {
    const relay = await healthyRelay();
    const program = relay.host.bpf.filters.get("nat64relay");
    if (!program) throw new Error("fast path not attached");
    relay.host.bpf.count(program.programId, "FAST_V6_TO_V4_PACKETS", [1000n, 500n]);
    relay.host.bpf.count(program.programId, "FAST_V6_TO_V4_BYTES", [20_000_000n, 0n]);
    relay.host.bpf.count(program.programId, "TAYGA_V6_NOT_TCP_UDP", [3n, 4n]);
    relay.host.bpf.count(program.programId, "TAYGA_LEASE_REFRESH", [2n, 0n]);
    const deps = { ...relay, query: answer, taygaRunning: async () => true, settleMs: 0 };
    const active = await runRelayDoctor({ ...deps, ping: async () => true });
    expect(active.find((c) => c.id === "fast-path")).toEqual({
      id: "fast-path",
      title: "fast path (tc-BPF on tayga's tun)",
      status: "pass",
      detail:
        "active on nat64relay: 0 clients mapped; fast path 1500 packets (20.0 MB), tayga 9 packets (v6_not_tcp_udp 7, lease_refresh 2)",
    });
    await relay.host.bpf.detach("nat64relay");
    const gone = await runRelayDoctor({ ...deps, ping: async () => true });
    expect(gone.find((c) => c.id === "fast-path")).toEqual({
      id: "fast-path",
      title: "fast path (tc-BPF on tayga's tun)",
      status: "warn",
      detail: "not active (not attached); tayga translates everything",
      fix: "install clang llvm libbpf-dev bpftool and restart the agent (or reload it)",
    });
  });

  it("one-way traffic without masquerade is named as such", async () => {
    const relay = await healthyRelay();
    const checks = await runRelayDoctor({
      ...relay,
      query: answer,
      taygaRunning: async () => true,
      settleMs: 0,
      ping: async () => {
        relay.host.nft.bump("inet", "nat64_relay", "from_clients", 3);
        return false;
      },
    });
    expect(checks.find((c) => c.id === "traffic")?.cause).toMatch(
      /^one-way: packets leave but are not masqueraded/,
    );
  });

  it("jool: one-way traffic is not blamed on a masquerade rule Jool does not use", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    const config = resolvedConfig({ engine: "jool" });
    const host = fakeHost({ jool: true });
    host.tailscale.statusJson = { Self: { HostName: "relay", PrimaryRoutes: [config.prefix] } };
    const plan = await planDataPlane(desiredDataPlane(config, paths), host, EMPTY_RECORD);
    await applyPlan(plan, EMPTY_RECORD, async () => {});
    const checks = await runRelayDoctor({
      paths,
      config,
      host,
      systemd: new OfflineSystemd(root),
      query: answer,
      taygaRunning: async () => false,
      settleMs: 0,
      ping: async () => {
        host.nft.bump("inet", "nat64_relay", "from_clients", 3);
        return false;
      },
    });
    expect(checks.find((c) => c.id === "traffic")?.cause).toBe(
      "one-way: packets reach Jool but no translated answer goes back to the clients",
    );
  });

  it("names an advertised but unapproved route, a foreign drop policy and a missing unit", async () => {
    const relay = await healthyRelay();
    relay.host.tailscale.statusJson = { Self: { HostName: "relay", PrimaryRoutes: [] } };
    await relay.host.nft.run(
      "table inet other {\n  chain f {\n    type filter hook forward priority 0; policy drop;\n  }\n}\n",
    );
    await relay.systemd.disable(UNIT_NAME);
    const checks = await runRelayDoctor({
      ...relay,
      query: answer,
      taygaRunning: async () => false,
      settleMs: 0,
      ping: async () => false,
    });
    const cause = (id: string) => checks.find((c) => c.id === id)?.cause;
    expect(cause("route")).toMatch(/route is not approved/);
    expect(cause("foreign-drop")).toMatch(/does not override a drop/);
    expect(cause("unit")).toMatch(/after a reboot nothing starts the agent/);
    expect(cause("tayga")).toMatch(/nothing translates/);
  });
});

describe("runClientDoctor", () => {
  const base = {
    name: "my-vps.r9929",
    server: "fd7a:115c:a1e0::1",
    overlayInterface: "tailscale0",
    tcpPort: 22,
    query: answer,
    ping: async () => true,
    tcpConnect: async () => "refused" as const,
  };

  it("passes when the route goes over the overlay and the target answers", async () => {
    const checks = await runClientDoctor({ ...base, routeDevice: async () => "tailscale0" });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ["dns-udp", "pass"],
      ["dns-tcp", "pass"],
      ["no-cname", "pass"],
      ["route", "pass"],
      ["icmp", "pass"],
      ["tcp", "pass"],
    ]);
  });

  it("resolves but no route: route not approved or --accept-routes missing", async () => {
    const checks = await runClientDoctor({ ...base, routeDevice: async () => "eth0" });
    const route = checks.find((c) => c.id === "route");
    expect(route?.detail).toBe("fd4e:2a91:7c3d:6464::c612:102 goes via eth0");
    expect(route?.fix).toMatch(/tailscale set --accept-routes/);
  });
});
