// `nat64-relay agent doctor`: the seed's verification checklist, run on the relay, each failure
// mapped to its cause and fix.

import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import { formatHostPort, parseHostPort } from "../../core/host-port.ts";
import { cidr } from "../../core/ip.ts";
import { extract } from "../../core/rfc6052.ts";
import { includesCidr } from "../host/cidr-text.ts";
import type { NftCounter } from "../host/nftables.ts";
import type { HostPaths } from "../host/paths.ts";
import type { Systemd } from "../host/systemd.ts";
import { COUNTERS, NFT_FAMILY, NFT_TABLE } from "../nat64/nft-ruleset.ts";
import { ADVERTISED_CHECK_ID } from "../resources/advertised-routes.ts";
import type { DataPlaneHost } from "../resources/data-plane-host.ts";
import { type DesiredDataPlane, desiredDataPlane } from "../resources/desired-state.ts";
import { planHealth } from "../resources/plan.ts";
import { EMPTY_RECORD, readRecord } from "../resources/record.ts";
import { translatorFor } from "../resources/translators/index.ts";
import { unitHealth } from "../resources/unit/unit-health.ts";
import { type CheckResult, fail, pass, skip, warn } from "./check.ts";
import { aaaaAddresses, judgeDns } from "./dns-checks.ts";
import type { DnsProbe, DnsProbeResult } from "./dns-probe.ts";
import { foreignTrafficCheck } from "./foreign-traffic-check.ts";
import { coveredTailscaleAddresses, listenCheck } from "./listen-check.ts";
import { defaultProbeName, type ProbeChoice } from "./probe-name.ts";

export interface RelayDoctorDeps {
  readonly config: ResolvedRelayConfig;
  readonly paths: HostPaths;
  readonly host: DataPlaneHost;
  readonly systemd: Systemd;
  readonly query: (probe: DnsProbe) => Promise<DnsProbeResult>;
  /** Sends a few pings and says whether any reply came back. */
  readonly ping: (address: string) => Promise<boolean>;
  /** host.<split> to probe; default: a tailnet peer under a split domain (probe-name.ts). */
  readonly probeName?: string;
  /** DNS server to probe; default: the Tailscale address split DNS asks, else `listen`'s first. */
  readonly server?: string;
  /** Counters are sampled this long after the probe traffic (ms). */
  readonly settleMs?: number;
}

type Counters = Record<string, NftCounter>;

const delta = (before: Counters, after: Counters, name: string) =>
  (after[name]?.packets ?? 0) - (before[name]?.packets ?? 0);

/** What the doctor learns from tailscale once; undefined fields: the CLI is not there. */
interface NodeView {
  readonly tailscaleIps?: readonly string[];
  readonly status?: Record<string, unknown>;
}

async function nodeView(deps: RelayDoctorDeps): Promise<NodeView> {
  const tailscale = deps.host.tailscale;
  if (!tailscale || !(await tailscale.available().catch(() => false))) return {};
  return {
    tailscaleIps: await tailscale.ips().catch(() => []),
    status: await tailscale.status().catch(() => ({})),
  };
}

function probeChoice(deps: RelayDoctorDeps, node: NodeView): ProbeChoice {
  const split = deps.config.splitDomains[0]?.name;
  if (deps.probeName) {
    return {
      name: deps.probeName.includes(".") || !split ? deps.probeName : `${deps.probeName}.${split}`,
    };
  }
  return defaultProbeName(deps.config, node.status);
}

/** `--server`, else where split DNS asks (a Tailscale IP, port 53) when listened on, else listen. */
function probeServer(deps: RelayDoctorDeps, node: NodeView): string | undefined {
  if (deps.server) return deps.server;
  const covered = coveredTailscaleAddresses(deps.config.listen, node.tailscaleIps ?? []);
  return covered[0] ? formatHostPort(covered[0]) : deps.config.listen[0];
}

async function dnsChecks(
  deps: RelayDoctorDeps,
  choice: ProbeChoice,
  serverText: string | undefined,
): Promise<{ checks: CheckResult[]; addresses: string[] }> {
  const server = serverText ? parseHostPort(serverText, 53) : undefined;
  if (!server?.ok) {
    return {
      checks: [
        fail(
          "dns-udp",
          "DNS",
          serverText
            ? `--server ${serverText}: ${server?.ok === false ? server.reason : ""}`
            : "no listen address",
          serverText
            ? "the address to probe is not ip, ip:port or [ipv6]:port"
            : "no `listen` address and no Tailscale IP",
          serverText
            ? "pass --server as 100.101.102.103:53 or [fd7a:115c:a1e0::1]:53"
            : "set `listen` in the config",
        ),
      ],
      addresses: [],
    };
  }
  const checks: CheckResult[] = [];
  const refused = await refusedOutsideCheck(deps, server.value);
  if (!("name" in choice)) {
    // A check that cannot run is a warning: nothing says the relay is broken.
    checks.push(
      warn(
        "probe",
        "AAAA probe",
        `skipped: ${choice.reason}`,
        "run `nat64-relay agent doctor --probe HOST` with a host under the split domain (another node, not this relay)",
      ),
      refused,
    );
    return { checks, addresses: [] };
  }
  const name = choice.name;
  const probe = (transport: "udp" | "tcp") =>
    deps.query({
      server: server.value.host,
      port: server.value.port,
      name,
      type: "AAAA",
      transport,
    });
  const [udp, tcp] = await Promise.all([probe("udp"), probe("tcp")]);
  checks.push(
    ...judgeDns({
      name,
      server: serverText ?? "",
      udp,
      tcp,
      prefix: cidr(deps.config.prefix),
    }),
    refused,
  );
  return { checks, addresses: [...new Set([...aaaaAddresses(udp), ...aaaaAddresses(tcp)])] };
}

/** A name outside every split zone must be REFUSED: otherwise the server is not (only) ours. */
async function refusedOutsideCheck(
  deps: RelayDoctorDeps,
  server: { host: string; port: number },
): Promise<CheckResult> {
  const outside = await deps.query({
    server: server.host,
    port: server.port,
    name: "example.com",
    type: "AAAA",
    transport: "udp",
  });
  const refusedTitle = "names outside the split domains are REFUSED (so they stay direct)";
  if (!outside.ok) return skip("refused-outside", refusedTitle, outside.message);
  if (outside.rcode === "REFUSED")
    return pass("refused-outside", refusedTitle, "example.com → REFUSED");
  return fail(
    "refused-outside",
    refusedTitle,
    `example.com → ${outside.rcode}`,
    "the server at this address answers names outside the split zones: it is not the relay's DNS (or a resolver sits in front of it), so other names could be pulled through the relay",
    "make sure only the nat64-relay agent listens there and split DNS sends only the split domain to it",
  );
}

/**
 * Whether the control plane approved the prefix. Advertising it is the advertised-routes
 * resource's part (its check comes with the host checks); approval is not something apply does.
 */
async function approvalCheck(
  deps: RelayDoctorDeps,
  host: readonly CheckResult[],
): Promise<CheckResult> {
  const title = `prefix ${deps.config.prefix} advertised and approved`;
  const tailscale = deps.host.tailscale;
  if (!deps.config.advertise) return skip("route", title, "advertise: false");
  if (!tailscale || !(await tailscale.available())) {
    return warn(
      "route",
      title,
      "tailscale CLI not found: cannot check",
      "install tailscale, or advertise and approve the prefix yourself",
    );
  }
  const advertised = host.find((check) => check.id === ADVERTISED_CHECK_ID);
  if (advertised && advertised.status !== "pass") {
    return skip("route", title, "not advertised (see above): nothing to approve yet");
  }
  const status = (await tailscale.status()) as {
    Self?: { PrimaryRoutes?: string[] | null; AllowedIPs?: string[] | null };
  };
  const approved = [...(status.Self?.PrimaryRoutes ?? []), ...(status.Self?.AllowedIPs ?? [])];
  if (!includesCidr(approved, deps.config.prefix)) {
    return fail(
      "route",
      title,
      "advertised but not approved",
      "resolves but no traffic: the route is not approved in the admin console (or by autoApprovers)",
      "approve the route (admin console, API, or ACL autoApprovers); Linux clients also need `tailscale set --accept-routes`",
    );
  }
  return pass("route", title, "advertised, approved (PrimaryRoutes)");
}

/**
 * The host part: every data-plane resource's plan toward the config, with the record of what
 * apply added (so leftovers of an earlier config show too). The same plans `agent apply` makes:
 * a resource whose plan is empty passes, one with changes fails naming what differs.
 */
async function hostChecks(
  deps: RelayDoctorDeps,
  desired: DesiredDataPlane,
): Promise<CheckResult[]> {
  const record = await readRecord(deps.paths.dataPlaneRecord).catch(() => EMPTY_RECORD);
  return planHealth(desired, deps.host, record);
}

async function foreignDropCheck(deps: RelayDoctorDeps): Promise<CheckResult> {
  const title = "no drop policy in another table's forward chain";
  const chains = await deps.host.nft.baseChains();
  const blocking = chains.filter(
    (chain) => chain.hook === "forward" && chain.table !== NFT_TABLE && chain.policy === "drop",
  );
  if (blocking.length) {
    return fail(
      "foreign-drop",
      title,
      blocking.map((c) => `${c.family} ${c.table} ${c.name} policy drop`).join("; "),
      "an accept in our table does not override a drop in another table's base chain: translated packets are dropped there",
      "accept the pool and the prefix in that chain (e.g. `ip saddr <pool> accept; ip daddr <pool> accept`), or change its policy",
    );
  }
  const withDrops = chains.filter(
    (c) => c.hook === "forward" && c.table !== NFT_TABLE && c.dropRules > 0,
  );
  return pass(
    "foreign-drop",
    title,
    withDrops.length
      ? `drop rules (not policies) in ${withDrops.map((c) => `${c.table}/${c.name}`).join(", ")}`
      : "none",
  );
}

/** Sends pings to the synthesized address and reads our counters before and after. */
async function trafficCheck(
  deps: RelayDoctorDeps,
  node: NodeView,
  address: string | undefined,
  desired: DesiredDataPlane,
): Promise<CheckResult> {
  const title = "counters move when the probe address is pinged";
  if (!address || !desired.nft)
    return skip("traffic", title, address ? "engine none" : "no synthesized address to probe");
  const target = extract(cidr(deps.config.prefix), address);
  if (target && node.tailscaleIps?.includes(target)) {
    return warn(
      "traffic",
      title,
      `skipped: ${address} is this relay (${target}); the guard drops translated traffic to the relay itself by design (guard_local)`,
      "probe another host: `nat64-relay agent doctor --probe HOST`",
    );
  }
  const read = () => deps.host.nft.counters(NFT_FAMILY, NFT_TABLE).catch(() => ({}) as Counters);
  const before = await read();
  const answered = await deps.ping(address);
  await new Promise((r) => setTimeout(r, deps.settleMs ?? 100));
  const after = await read();
  const out = delta(before, after, COUNTERS.fromClients);
  const back = delta(before, after, COUNTERS.toClients);
  const masq = delta(before, after, COUNTERS.masqueraded);
  const local = delta(before, after, COUNTERS.guardLocal);
  const guarded =
    delta(before, after, COUNTERS.guardUnknown) + delta(before, after, COUNTERS.guardSpecial);
  const detail = `ping ${address}: ${answered ? "replied" : "no reply"}; from_clients +${out}, to_clients +${back}, masqueraded +${masq}, guard drops +${guarded}, guard_local +${local}`;
  if (answered && out > 0 && back > 0) return pass("traffic", title, detail);
  if (local > 0 && out === 0) {
    // The target is one of this node's own addresses (a LAN address, say): dropped by design.
    return warn(
      "traffic",
      title,
      `${detail}: the probe address is this relay itself, which the guard refuses by design`,
      "probe another host: `nat64-relay agent doctor --probe HOST`",
    );
  }
  const ownNapt = translatorFor(desired.engine)?.ownNapt;
  if (out > 0 && back === 0 && ownNapt) {
    // The translator does its own NAPT from the node's addresses: no masquerade rule to blame.
    const { name, ports } = ownNapt;
    return fail(
      "traffic",
      title,
      detail,
      `one-way: packets reach ${name} but no translated answer goes back to the clients`,
      `check that the target answers and that its answers reach this node's addresses (${name}'s ports ${ports} are not filtered before ${name})`,
    );
  }
  if (out > 0 && back === 0) {
    return masq === 0
      ? fail(
          "traffic",
          title,
          detail,
          "one-way: packets leave but are not masqueraded, so the target cannot answer the pool address",
          `make sure the masquerade rule exists and \`egressInterfaces\` (${deps.config.egressInterfaces.join(", ")}) is where the target is reached`,
        )
      : fail(
          "traffic",
          title,
          detail,
          "one-way: packets leave masqueraded but no answer comes back",
          "check that the target is up and answers (ICMP/TCP), and the egress path back to the relay",
        );
  }
  if (guarded > 0 && out === 0) {
    return fail(
      "traffic",
      title,
      detail,
      "the open-proxy guard dropped the probe: the DNS answer did not reach the allow set",
      "check that the agent (not another server) answered the query, and the agent's log for nft errors",
    );
  }
  if (out === 0) {
    return fail(
      "traffic",
      title,
      detail,
      "nothing was translated: tayga is down, or the route for the prefix is missing, or another table dropped it",
      "run `nat64-relay agent apply` and check the tayga and foreign-drop lines",
    );
  }
  return warn("traffic", title, detail, "the target may not answer ICMP");
}

export async function runRelayDoctor(deps: RelayDoctorDeps): Promise<CheckResult[]> {
  const desired = desiredDataPlane(deps.config, deps.paths);
  const node = await nodeView(deps);
  const dns = await dnsChecks(deps, probeChoice(deps, node), probeServer(deps, node));
  const host = await hostChecks(deps, desired);
  // The unit's line is the plan `agent install` would make for it (resources/unit/).
  const unit = await unitHealth({ paths: deps.paths, systemd: deps.systemd });
  // A check a host resource answers for replaces the doctor's own look at the same thing.
  const answered = new Set([...unit, ...host].map((check) => check.id));
  const unless = (check: CheckResult | undefined) =>
    check && !answered.has(check.id) ? [check] : [];
  const checks = [
    listenCheck(deps.config.listen, node.tailscaleIps),
    ...dns.checks,
    ...unit,
    ...host,
  ];
  checks.push(...unless(await approvalCheck(deps, host)));
  if (desired.nft) checks.push(await foreignDropCheck(deps));
  checks.push(await trafficCheck(deps, node, dns.addresses[0], desired));
  if (desired.nft) {
    const counters = await deps.host.nft.counters(NFT_FAMILY, NFT_TABLE).catch(() => ({}));
    checks.push(foreignTrafficCheck(deps.config, counters));
  }
  return checks;
}
