// Makes Tailscale match the database, touching only what is ours: split DNS by PATCH for our
// domains (null removes ours), route approval by GET → union → POST for relay nodes the device
// list shows advertising the prefix. Without a Tailscale client it only plans: the report then
// lists the admin-console steps. Idempotent: a run on a converged tailnet changes nothing.
import { formatCidr, parseCidr } from "../../core/ip.ts";
import type { Database } from "../storage/database.ts";
import { listRelayNodes, listRelays, type RelayNodeRecord } from "../storage/relays.ts";
import { listSplitDomains } from "../storage/split-domains.ts";
import {
  type CleanupRecord,
  deleteCleanup,
  listCleanups,
  writeSyncReport,
} from "../storage/tailscale-state.ts";
import type { SplitDnsChanges, TailscaleApi, TailscaleDevice } from "../tailscale/api.ts";
import type { RelaySyncState, SyncReport } from "./report.ts";

export interface ReconcileDeps {
  readonly database: Database;
  /** Absent: plan mode. */
  readonly tailscale: TailscaleApi | undefined;
  readonly now: () => Date;
}

interface DesiredRelay {
  readonly name: string;
  readonly prefix: string;
  readonly nodes: RelayNodeRecord[];
  readonly domains: string[];
  readonly nameservers: string[] | null;
}

/** Tailscale answers canonical prefixes; compare in that form. */
export function canonicalPrefix(prefix: string): string {
  const parsed = parseCidr(prefix);
  return parsed.ok ? formatCidr(parsed.cidr) : prefix.toLowerCase();
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");

async function desiredState(database: Database): Promise<DesiredRelay[]> {
  const [relays, nodes, domains] = await Promise.all([
    listRelays(database),
    listRelayNodes(database),
    listSplitDomains(database),
  ]);
  return relays.map((relay) => {
    const relayNodes = nodes.filter((node) => node.relayId === relay.id);
    const addresses = [...new Set(relayNodes.flatMap((node) => node.addresses))].sort();
    return {
      name: relay.name,
      prefix: canonicalPrefix(relay.settings.prefix),
      nodes: relayNodes,
      domains: domains.filter((domain) => domain.relayId === relay.id).map((d) => d.name),
      nameservers: addresses.length ? addresses : null,
    };
  });
}

function emptyState(): RelaySyncState {
  return { splitDns: [], routes: [], drift: [] };
}

function stateOf(report: SyncReport, relay: string): RelaySyncState {
  const existing = report.relays[relay];
  if (existing) return existing;
  const created = emptyState();
  report.relays[relay] = created;
  return created;
}

/** Plan mode: what an admin would click, in the order that works. */
function plan(desired: DesiredRelay[], cleanups: CleanupRecord[], at: string): SyncReport {
  const steps: string[] = [];
  const relays: Record<string, RelaySyncState> = {};
  for (const relay of desired) {
    const state = emptyState();
    for (const domain of relay.domains) {
      state.splitDns.push({
        domain,
        desired: relay.nameservers,
        actual: null,
        inSync: false,
        note: "plan mode: not checked",
      });
      if (relay.nameservers) {
        steps.push(
          `Admin console → DNS → Nameservers → Add nameserver → Custom: enter ${relay.nameservers.join(", ")}, turn on "Restrict to domain (Split DNS)" and enter "${domain}"; save.`,
        );
      } else {
        steps.push(
          `Start the agent of relay "${relay.name}" so it reports its Tailscale addresses; then add split DNS for "${domain}" pointing at them.`,
        );
      }
      state.drift.push(`split DNS for ${domain}: unknown (no Tailscale credentials)`);
    }
    for (const node of relay.nodes) {
      state.routes.push({
        nodeId: node.nodeId,
        hostname: node.hostname,
        prefix: relay.prefix,
        advertised: null,
        approved: null,
        note: "plan mode: not checked",
      });
      steps.push(
        `Admin console → Machines → ${node.hostname} → ⋯ → Edit route settings… → under Subnet routes tick ${relay.prefix}; save. (Or add to the policy file: "autoApprovers": {"routes": {"${relay.prefix}": ["tag:relay"]}} and tag the node tag:relay.)`,
      );
      state.drift.push(
        `route ${relay.prefix} on ${node.hostname}: unknown (no Tailscale credentials)`,
      );
    }
    relays[relay.name] = state;
  }
  for (const cleanup of cleanups) {
    steps.push(
      cleanup.kind === "split_dns"
        ? `Admin console → DNS → Nameservers: remove the split DNS nameserver restricted to "${cleanup.target}".`
        : `Admin console → Machines → node ${cleanup.nodeId} → Edit route settings…: untick ${cleanup.target}.`,
    );
  }
  return {
    at,
    mode: "plan",
    ok: true,
    relays,
    changes: [],
    steps,
    pendingCleanups: cleanups.map(describeCleanup),
  };
}

function describeCleanup(cleanup: CleanupRecord): string {
  return cleanup.kind === "split_dns"
    ? `remove split DNS for ${cleanup.target}`
    : `un-approve ${cleanup.target} on node ${cleanup.nodeId}`;
}

function findDevice(devices: TailscaleDevice[], nodeId: string): TailscaleDevice | undefined {
  return devices.find((device) => device.nodeId === nodeId || device.id === nodeId);
}

async function apply(
  deps: ReconcileDeps & { tailscale: TailscaleApi },
  desired: DesiredRelay[],
  cleanups: CleanupRecord[],
  report: SyncReport,
): Promise<void> {
  const { tailscale } = deps;
  const devices = await tailscale.listDevices();
  const actualSplit = await tailscale.getSplitDns();

  // Split DNS: one PATCH with exactly our differing domains.
  const ourDomains = new Set(desired.flatMap((relay) => relay.domains));
  const changes: Record<string, readonly string[] | null> = {};
  for (const relay of desired) {
    const state = stateOf(report, relay.name);
    for (const domain of relay.domains) {
      const actual = actualSplit[domain] ?? null;
      if (!relay.nameservers) {
        state.splitDns.push({
          domain,
          desired: null,
          actual: actual ? [...actual] : null,
          inSync: false,
          note: `waiting for a node of relay "${relay.name}" to report its addresses`,
        });
        state.drift.push(`split DNS for ${domain}: no relay node has reported yet`);
        continue;
      }
      const inSync = actual !== null && sameSet(actual, relay.nameservers);
      if (!inSync) changes[domain] = relay.nameservers;
      state.splitDns.push({
        domain,
        desired: relay.nameservers,
        actual: actual ? [...actual] : null,
        inSync: true,
        ...(inSync ? {} : { note: `was ${actual ? actual.join(", ") : "absent"}; set` }),
      });
    }
  }
  const splitCleanups = cleanups.filter((cleanup) => cleanup.kind === "split_dns");
  for (const cleanup of splitCleanups) {
    if (!ourDomains.has(cleanup.target) && actualSplit[cleanup.target] !== undefined) {
      changes[cleanup.target] = null;
    }
  }
  if (Object.keys(changes).length) {
    await tailscale.updateSplitDns(changes as SplitDnsChanges);
    for (const [domain, servers] of Object.entries(changes)) {
      report.changes.push(
        servers ? `split DNS ${domain} → ${servers.join(", ")}` : `split DNS ${domain} removed`,
      );
    }
  }
  for (const cleanup of splitCleanups) await deleteCleanup(deps.database, cleanup.id);

  // Routes: approve the relay prefix on each relay node that advertises it.
  const desiredRoutes = new Map<string, Set<string>>();
  for (const relay of desired) {
    const state = stateOf(report, relay.name);
    for (const node of relay.nodes) {
      const device = findDevice(devices, node.nodeId);
      const route = { nodeId: node.nodeId, hostname: node.hostname, prefix: relay.prefix };
      if (!device) {
        state.routes.push({
          ...route,
          advertised: null,
          approved: null,
          note: "not in the device list",
        });
        state.drift.push(
          `route ${relay.prefix} on ${node.hostname}: node ${node.nodeId} not in the device list`,
        );
        continue;
      }
      desiredRoutes.set(
        device.nodeId,
        (desiredRoutes.get(device.nodeId) ?? new Set()).add(relay.prefix),
      );
      const advertised = device.advertisedRoutes.map(canonicalPrefix).includes(relay.prefix);
      if (!advertised) {
        state.routes.push({
          ...route,
          advertised: false,
          approved: false,
          note: "not advertised yet",
        });
        state.drift.push(
          `route ${relay.prefix} on ${node.hostname}: the node does not advertise it yet (agent: advertise: true)`,
        );
        continue;
      }
      const current = await tailscale.getDeviceRoutes(device.nodeId);
      const enabled = current.enabledRoutes.map(canonicalPrefix);
      if (!enabled.includes(relay.prefix)) {
        await tailscale.replaceEnabledRoutes(device.nodeId, [
          ...current.enabledRoutes,
          relay.prefix,
        ]);
        report.changes.push(`approved ${relay.prefix} on ${node.hostname}`);
      }
      state.routes.push({ ...route, advertised: true, approved: true });
    }
  }

  // Take back approvals of deleted relays / old prefixes, keeping every other route.
  for (const cleanup of cleanups.filter((c) => c.kind === "route")) {
    const prefix = canonicalPrefix(cleanup.target);
    const device = findDevice(devices, cleanup.nodeId);
    if (device && !desiredRoutes.get(device.nodeId)?.has(prefix)) {
      const current = await tailscale.getDeviceRoutes(device.nodeId);
      if (current.enabledRoutes.map(canonicalPrefix).includes(prefix)) {
        await tailscale.replaceEnabledRoutes(
          device.nodeId,
          current.enabledRoutes.filter((route) => canonicalPrefix(route) !== prefix),
        );
        report.changes.push(`un-approved ${prefix} on ${device.hostname}`);
      }
    }
    await deleteCleanup(deps.database, cleanup.id);
  }
}

export async function reconcile(deps: ReconcileDeps): Promise<SyncReport> {
  const at = deps.now().toISOString();
  const desired = await desiredState(deps.database);
  const cleanups = await listCleanups(deps.database);
  let report: SyncReport;
  if (!deps.tailscale) {
    report = plan(desired, cleanups, at);
  } else {
    report = {
      at,
      mode: "apply",
      ok: true,
      relays: {},
      changes: [],
      steps: [],
      pendingCleanups: [],
    };
    try {
      await apply({ ...deps, tailscale: deps.tailscale }, desired, cleanups, report);
    } catch (error) {
      report.ok = false;
      report.error = error instanceof Error ? error.message : String(error);
    }
    report.pendingCleanups = (await listCleanups(deps.database)).map(describeCleanup);
  }
  // Changes made to Tailscale are audited with the report that lists them.
  const audit =
    report.changes.length > 0
      ? {
          actor: "system",
          verb: "tailscale.reconcile",
          input: { changes: report.changes },
          outcome: report.ok ? "ok" : "upstream_unavailable",
        }
      : undefined;
  await writeSyncReport(deps.database, report, at, audit);
  return report;
}
