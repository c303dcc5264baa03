import { mkdir, rm, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../../src/relay-agent/doctor/check.ts";
import { runClientDoctor } from "../../../src/relay-agent/doctor/client-doctor.ts";
import type { DnsProbe, DnsProbeResult } from "../../../src/relay-agent/doctor/dns-probe.ts";
import {
  type RelayDoctorDeps,
  runRelayDoctor,
} from "../../../src/relay-agent/doctor/relay-doctor.ts";
import { hostPaths, UNIT_NAME } from "../../../src/relay-agent/host/paths.ts";
import { OfflineSystemd } from "../../../src/relay-agent/host/systemd.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import { applyPlan, planDataPlane } from "../../../src/relay-agent/resources/plan.ts";
import { EMPTY_RECORD, writeRecord } from "../../../src/relay-agent/resources/record.ts";
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

/** A tailnet peer under the split domain's real suffix: the doctor's default probe. */
const PEERS = { nodekey1: { DNSName: "my-vps.tail1234.ts.net.", Online: true } };

async function healthyRelay() {
  const root = await tempRoot();
  const paths = hostPaths(root);
  const config = resolvedConfig();
  const host = fakeHost();
  host.tailscale.statusJson = {
    Self: { HostName: "relay", PrimaryRoutes: [config.prefix] },
    Peer: PEERS,
  };
  const desired = desiredDataPlane(config, paths);
  const plan = await planDataPlane(desired, host, EMPTY_RECORD);
  // The fast path is one of the plan's resources: its record slot goes where the others' go.
  await applyPlan(plan, EMPTY_RECORD, (record) => writeRecord(paths.dataPlaneRecord, record));
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
      settleMs: 0,
      ping: async () => {
        relay.host.nft.bump("inet", "nat64_relay", "from_clients", 3);
        relay.host.nft.bump("inet", "nat64_relay", "to_clients", 3);
        return true;
      },
    });
    expect(checks.filter((c) => c.status !== "pass")).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual([
      "listen",
      "dns-udp",
      "dns-tcp",
      "no-cname",
      "refused-outside",
      "unit",
      "sysctl",
      "tayga-conf",
      "tun",
      "routes",
      "table",
      "tayga",
      "advertised",
      "fast-path",
      "route",
      "foreign-drop",
      "traffic",
      "foreign-traffic",
    ]);
    expect(checks.find((c) => c.id === "fast-path")?.detail).toBe(
      "active on nat64relay: 0 clients mapped; fast path 0 packets (0 B), tayga 0 packets",
    );
    expect(checks.find((c) => c.id === "dns-udp")?.title).toBe(
      "AAAA my-vps.r9929 over UDP @[fd7a:115c:a1e0::1]:53",
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
    const deps = { ...relay, query: answer, settleMs: 0 };
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
      // The toolchain is there: the next apply attaches it again.
      fix: "run `nat64-relay agent apply` (or restart the agent)",
    });
  });

  it("host checks fail with what differs, exactly where apply would change something", async () => {
    const relay = await healthyRelay();
    const paths = relay.paths;
    await relay.host.sysctl.set("net.ipv4.ip_forward", "0");
    await rm(paths.sysctlFile);
    await writeFile(paths.taygaConf, "tun-device nat64relay\n");
    relay.host.ip.routeTable = relay.host.ip.routeTable.filter((route) => route.family === 6);
    await relay.host.nft.run("delete table inet nat64_relay\n");
    relay.host.tailscale.routes = [];
    const checks = await runRelayDoctor({
      ...relay,
      query: answer,
      settleMs: 0,
      ping: async () => false,
    });
    const host = ["sysctl", "tayga-conf", "tun", "routes", "table", "advertised", "route"];
    expect(checks.filter((check) => host.includes(check.id))).toEqual([
      {
        id: "sysctl",
        title: "forwarding sysctls (runtime and persisted)",
        status: "fail",
        detail: `net.ipv4.ip_forward=0, ${paths.sysctlFile} missing`,
        cause: "without forwarding the relay drops translated packets (now, or after a reboot)",
        fix: "run `nat64-relay agent apply` (or restart the agent)",
      },
      {
        id: "tayga-conf",
        title: `tayga's config ${paths.taygaConf} and data directory`,
        status: "fail",
        detail: `${paths.taygaConf} differs`,
        cause:
          "tayga starts with another prefix or pool than the config's (or cannot start): answers point where nothing translates",
        fix: "run `nat64-relay agent apply` (or restart the agent)",
      },
      { id: "tun", title: "tun nat64relay present and up", status: "pass", detail: "present, up" },
      {
        id: "routes",
        title: "routes fd4e:2a91:7c3d:6464::/96 dev nat64relay, 192.168.240.0/20 dev nat64relay",
        status: "fail",
        detail: "192.168.240.0/20 dev nat64relay missing",
        cause:
          "the kernel does not send packets to the prefix (or answers to the pool) into the translator",
        fix: "run `nat64-relay agent apply` (or restart the agent)",
      },
      {
        id: "table",
        title: "nftables table inet nat64_relay",
        status: "fail",
        detail: "missing",
        cause:
          "no masquerade and no open-proxy guard as configured: the table is missing, was edited by hand, or belongs to another config",
        fix: "run `nat64-relay agent apply` (or restart the agent): it replaces the table in one transaction",
      },
      {
        id: "advertised",
        title: "prefix fd4e:2a91:7c3d:6464::/96 in --advertise-routes",
        status: "fail",
        detail: "advertised: none",
        cause: "the relay does not advertise the prefix: clients resolve names but have no route",
        fix: "run `nat64-relay agent apply` (it merges the prefix into --advertise-routes)",
      },
      {
        id: "route",
        title: "prefix fd4e:2a91:7c3d:6464::/96 advertised and approved",
        status: "skip",
        detail: "not advertised (see above): nothing to approve yet",
      },
    ]);
    // The same plan apply makes: one change per failing part, and after it every check passes.
    const desired = desiredDataPlane(relay.config, paths);
    const plan = await planDataPlane(desired, relay.host, EMPTY_RECORD);
    expect(plan.changes.map((change) => change.drift.check.id)).toEqual([
      "sysctl",
      "sysctl",
      "tayga-conf",
      "routes",
      "table",
      "advertised",
    ]);
    await applyPlan(plan, EMPTY_RECORD, async () => {});
    const repaired = await runRelayDoctor({
      ...relay,
      query: answer,
      settleMs: 0,
      ping: async () => false,
    });
    expect(repaired.filter((check) => host.includes(check.id) && check.status !== "pass")).toEqual(
      [],
    );
  });

  it("names what an earlier config left on the host (the record apply keeps)", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    const host = fakeHost();
    const tayga = resolvedConfig();
    const desired = desiredDataPlane(tayga, paths);
    const plan = await planDataPlane(desired, host, EMPTY_RECORD);
    await applyPlan(plan, EMPTY_RECORD, (record) => writeRecord(paths.dataPlaneRecord, record));
    const checks = await runRelayDoctor({
      config: resolvedConfig({ engine: "none" }),
      paths,
      host,
      systemd: new OfflineSystemd(root),
      query: answer,
      settleMs: 0,
      ping: async () => false,
    });
    expect(checks.find((check) => check.id === "leftovers")).toEqual({
      id: "leftovers",
      title: "nothing left over from an earlier config",
      status: "fail",
      detail: [
        "net.ipv4.ip_forward not restored to 0",
        "net.ipv6.conf.all.forwarding not restored to 0",
        `${paths.sysctlFile} left over`,
        `${paths.taygaConf} left over`,
        `${paths.taygaDataDir} left over`,
        `${root}/etc/sysctl.d left over`,
        `${root}/etc left over`,
        "tun nat64relay left over",
        "table inet nat64_relay left over",
        "tayga still running",
        "fd4e:2a91:7c3d:6464::/96 still advertised",
        "fast path on nat64relay left attached",
      ].join(", "),
      cause:
        "the host keeps changes the current config does not want (forwarding, a tun, routes, files, a table or an advertised route)",
      fix: "run `nat64-relay agent apply` (or restart the agent)",
    });
  });

  it("one-way traffic without masquerade is named as such", async () => {
    const relay = await healthyRelay();
    const checks = await runRelayDoctor({
      ...relay,
      query: answer,
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
    host.tailscale.statusJson = {
      Self: { HostName: "relay", PrimaryRoutes: [config.prefix] },
      Peer: PEERS,
    };
    const plan = await planDataPlane(desiredDataPlane(config, paths), host, EMPTY_RECORD);
    await applyPlan(plan, EMPTY_RECORD, async () => {});
    const checks = await runRelayDoctor({
      paths,
      config,
      host,
      systemd: new OfflineSystemd(root),
      query: answer,
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
    relay.host.tailscale.statusJson = {
      Self: { HostName: "relay", PrimaryRoutes: [] },
      Peer: PEERS,
    };
    // `agent install` ran here once (its record is there), and the unit was disabled since.
    await mkdir(relay.paths.stateDir, { recursive: true });
    await writeFile(relay.paths.installRecord, '{"files":[],"dirs":[],"unitEnabled":true}\n');
    await relay.host.nft.run(
      "table inet other {\n  chain f {\n    type filter hook forward priority 0; policy drop;\n  }\n}\n",
    );
    await relay.systemd.disable(UNIT_NAME);
    relay.host.tayga.pids.clear();
    const checks = await runRelayDoctor({
      ...relay,
      query: answer,
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

describe("the relay doctor tells the truth", () => {
  const run = (
    relay: Awaited<ReturnType<typeof healthyRelay>>,
    extra: Partial<RelayDoctorDeps> = {},
  ) =>
    runRelayDoctor({
      ...relay,
      query: answer,
      settleMs: 0,
      ping: async () => false,
      ...extra,
    });
  const statuses = (checks: readonly CheckResult[], ids: readonly string[]) =>
    ids.map((id) => [id, checks.find((check) => check.id === id)?.status]);

  it("never probes the relay's own name: with no peer to probe it warns and fails nothing for it", async () => {
    const relay = await healthyRelay();
    relay.host.tailscale.statusJson = {
      Self: { HostName: "relay", PrimaryRoutes: [relay.config.prefix] },
    };
    const asked: string[] = [];
    const checks = await run(relay, {
      query: async (probe) => {
        asked.push(probe.name);
        return answer(probe);
      },
    });
    expect(asked).toEqual(["example.com"]);
    expect(checks.find((check) => check.id === "probe")).toEqual({
      id: "probe",
      title: "AAAA probe",
      status: "warn",
      detail:
        "skipped: no --probe given, and no tailnet peer under tail1234.ts.net to probe (this relay's own name would only meet the guard)",
      fix: "run `nat64-relay agent doctor --probe HOST` with a host under the split domain (another node, not this relay)",
    });
    expect(statuses(checks, ["refused-outside", "traffic"])).toEqual([
      ["refused-outside", "pass"],
      ["traffic", "skip"],
    ]);
    expect(checks.filter((check) => check.status === "fail")).toEqual([]);
  });

  it("without tailscale and without --probe: the checks that cannot run warn, none fails", async () => {
    const relay = await healthyRelay();
    relay.host.tailscale.installed = false;
    const checks = await run(relay);
    expect(statuses(checks, ["listen", "probe", "route", "traffic"])).toEqual([
      ["listen", "warn"],
      ["probe", "warn"],
      ["route", "warn"],
      ["traffic", "skip"],
    ]);
    expect(checks.find((check) => check.id === "probe")?.detail).toBe(
      "skipped: no --probe given, and no tailscale CLI to find a tailnet peer to probe",
    );
  });

  it("--probe naming the relay itself: the traffic check warns about the guard instead of blaming tayga", async () => {
    const relay = await healthyRelay();
    // 100.101.102.103 is this node's Tailscale IPv4 (the fake CLI's `tailscale ip`).
    const self = "fd4e:2a91:7c3d:6464::6465:6667";
    const checks = await run(relay, {
      probeName: "relay",
      query: async (probe) =>
        probe.name === "example.com"
          ? answer(probe)
          : {
              ok: true,
              rcode: "NOERROR",
              truncated: false,
              answers: [{ type: "AAAA", name: probe.name, data: self }],
            },
      ping: async () => {
        throw new Error("the doctor must not ping the relay itself");
      },
    });
    expect(checks.find((check) => check.id === "traffic")).toEqual({
      id: "traffic",
      title: "counters move when the probe address is pinged",
      status: "warn",
      detail: `skipped: ${self} is this relay (100.101.102.103); the guard drops translated traffic to the relay itself by design (guard_local)`,
      fix: "probe another host: `nat64-relay agent doctor --probe HOST`",
    });
  });

  it("reports guard_local with the counters, and a probe that met it is a warning", async () => {
    const relay = await healthyRelay();
    const checks = await run(relay, {
      ping: async () => {
        relay.host.nft.bump("inet", "nat64_relay", "guard_local", 3);
        return false;
      },
    });
    const traffic = checks.find((check) => check.id === "traffic");
    expect([traffic?.status, traffic?.detail]).toEqual([
      "warn",
      "ping fd4e:2a91:7c3d:6464::c612:102: no reply; from_clients +0, to_clients +0, masqueraded +0, guard drops +0, guard_local +3: the probe address is this relay itself, which the guard refuses by design",
    ]);
  });

  it("fails the listen check when listen is not where split DNS asks (127.0.0.1:5353)", async () => {
    const relay = await healthyRelay();
    const checks = await run(relay, { config: { ...relay.config, listen: ["127.0.0.1:5353"] } });
    const listen = checks.find((check) => check.id === "listen");
    expect([listen?.status, listen?.detail]).toEqual([
      "fail",
      "listen is 127.0.0.1:5353; not 100.101.102.103:53 or [fd7a:115c:a1e0::1]:53",
    ]);
  });

  it("probes where split DNS asks when listen includes it", async () => {
    const relay = await healthyRelay();
    const servers: string[] = [];
    await run(relay, {
      config: { ...relay.config, listen: ["127.0.0.1:5353", "100.101.102.103:53"] },
      query: async (probe) => {
        servers.push(`${probe.server}:${probe.port}`);
        return answer(probe);
      },
    });
    expect([...new Set(servers)]).toEqual(["100.101.102.103:53"]);
  });

  it("an agent run by hand (no `agent install` here) warns about the unit instead of failing", async () => {
    const relay = await healthyRelay();
    await relay.systemd.disable(UNIT_NAME);
    const checks = await run(relay);
    expect(checks.find((check) => check.id === "unit")).toEqual({
      id: "unit",
      title: `${UNIT_NAME} enabled`,
      status: "warn",
      detail:
        "not installed as a service (no `agent install` here): the agent runs only as long as you run it",
      fix: "run `nat64-relay agent install` to start it at boot",
    });
  });
});

describe("runClientDoctor", () => {
  const base = {
    name: "my-vps.r9929",
    server: { host: "fd7a:115c:a1e0::1", family: 6 as const, port: 53 },
    overlayInterface: "tailscale0",
    tcpPort: 22,
    query: answer,
    ping: async () => true,
    tcpConnect: async () => "open" as const,
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
