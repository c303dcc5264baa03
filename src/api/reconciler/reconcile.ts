// Makes Tailscale match the database, touching only what is ours: split DNS by PATCH for our
// domains (null removes ours), route approval by GET → union → POST for relay nodes the device
// list shows advertising the prefix. Nameservers and route targets come from the device list:
// a relay node counts only while it is up (reported within 3 intervals, node-liveness.ts) and
// the device list knows it with the addresses it reported. Each relay is applied on its own, so one
// relay's failure is drift in its status, not an abort of the others. Without a Tailscale
// client it only plans: the report then lists the admin-console steps. Idempotent: a run on a
// converged tailnet changes nothing. Why PATCH and read-merge-write: docs/design.md,
// "Tailscale API".
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
import type { SplitDnsMap, TailscaleApi, TailscaleDevice } from "../tailscale/api.ts";
import { canonicalTailnetAddress } from "../tailscale/tailnet-address.ts";
import { isNodeUp, nodeStaleSecondsOf } from "./node-liveness.ts";
import { planSteps } from "./plan-steps.ts";
import type { RelaySyncState, SyncReport } from "./report.ts";
import { messageOf, SyncErrors, syncFailureCause } from "./sync-errors.ts";

export interface ReconcileDeps {
  readonly database: Database;
  /** Absent: plan mode. */
  readonly tailscale: TailscaleApi | undefined;
  readonly now: () => Date;
  /** A relay node whose last heartbeat is older than this is down (not used); default 90. */
  readonly nodeStaleSeconds?: number;
}

export const DEFAULT_NODE_STALE_SECONDS = nodeStaleSecondsOf(30);

interface DesiredRelay {
  readonly name: string;
  readonly prefix: string;
  /** Nodes whose last heartbeat is recent enough to use. */
  readonly nodes: RelayNodeRecord[];
  /** Nodes that stopped reporting: neither nameservers nor route targets. */
  readonly staleNodes: RelayNodeRecord[];
  readonly domains: string[];
}

/** Tailscale answers canonical prefixes; compare in that form. */
export function canonicalPrefix(prefix: string): string {
  const parsed = parseCidr(prefix);
  return parsed.ok ? formatCidr(parsed.cidr) : prefix.toLowerCase();
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");

async function desiredState(
  database: Database,
  now: Date,
  staleSeconds: number,
): Promise<DesiredRelay[]> {
  const [relays, nodes, domains] = await Promise.all([
    listRelays(database),
    listRelayNodes(database),
    listSplitDomains(database),
  ]);
  return relays.map((relay) => {
    const relayNodes = nodes.filter((node) => node.relayId === relay.id);
    return {
      name: relay.name,
      prefix: canonicalPrefix(relay.settings.prefix),
      nodes: relayNodes.filter((node) => isNodeUp(node, now, staleSeconds)),
      staleNodes: relayNodes.filter((node) => !isNodeUp(node, now, staleSeconds)),
      domains: domains.filter((domain) => domain.relayId === relay.id).map((d) => d.name),
    };
  });
}

function staleDrift(node: RelayNodeRecord, staleSeconds: number): string {
  return `node ${node.hostname} (${node.nodeId}): last heartbeat ${node.lastSeenAt} is older than ${staleSeconds} s; not used until it reports again`;
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
function plan(
  desired: DesiredRelay[],
  cleanups: CleanupRecord[],
  at: string,
  staleSeconds: number,
): SyncReport {
  const steps = planSteps(desired);
  const relays: Record<string, RelaySyncState> = {};
  for (const relay of desired) {
    const state = emptyState();
    for (const node of relay.staleNodes) state.drift.push(staleDrift(node, staleSeconds));
    for (const domain of relay.domains) {
      state.splitDns.push({
        domain,
        // Only the device list says which addresses are the node's; an agent's report does not.
        desired: null,
        actual: null,
        inSync: false,
        note: "plan mode: not checked; the nameservers are the node's Tailscale IPs as the admin console shows them",
      });
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

/** A relay node the device list confirms: the device it names, with the addresses it reported. */
interface ConfirmedNode {
  readonly node: RelayNodeRecord;
  readonly device: TailscaleDevice;
}

/** The addresses a node reported that the device list does not show for its device. */
function addressesNotOf(node: RelayNodeRecord, device: TailscaleDevice): string[] {
  const deviceAddresses = new Set(device.addresses.map(canonicalTailnetAddress));
  deviceAddresses.delete(undefined);
  return node.addresses.filter((a) => !deviceAddresses.has(canonicalTailnetAddress(a)));
}

/**
 * Matches the relay's recent nodes against the device list. A node the list does not know, or
 * whose reported addresses are not the device's, is left out (drift): an agent's report alone
 * never names a nameserver or a device to approve routes on.
 */
function confirmNodes(
  relay: DesiredRelay,
  devices: TailscaleDevice[],
  state: RelaySyncState,
  staleSeconds: number,
): ConfirmedNode[] {
  const confirmed: ConfirmedNode[] = [];
  for (const node of relay.staleNodes) {
    state.routes.push({
      nodeId: node.nodeId,
      hostname: node.hostname,
      prefix: relay.prefix,
      advertised: null,
      approved: null,
      note: "stale: no recent heartbeat",
    });
    state.drift.push(staleDrift(node, staleSeconds));
  }
  for (const node of relay.nodes) {
    const route = { nodeId: node.nodeId, hostname: node.hostname, prefix: relay.prefix };
    const device = findDevice(devices, node.nodeId);
    if (!device) {
      state.routes.push({
        ...route,
        advertised: null,
        approved: null,
        note: "not in the device list",
      });
      state.drift.push(
        `node ${node.hostname} (${node.nodeId}): not in the device list; not used for split DNS or routes`,
      );
      continue;
    }
    const foreign = addressesNotOf(node, device);
    if (foreign.length) {
      state.routes.push({
        ...route,
        advertised: null,
        approved: null,
        note: "reported addresses are not the device's",
      });
      state.drift.push(
        `node ${node.hostname} (${node.nodeId}): reported ${foreign.join(", ")}, but the device list shows ${device.addresses.join(", ") || "no addresses"}; not used`,
      );
      continue;
    }
    confirmed.push({ node, device });
  }
  return confirmed;
}

/** Split DNS nameservers: the tailnet addresses the device list shows for the confirmed nodes. */
function nameserversOf(confirmed: ConfirmedNode[]): string[] | null {
  const addresses = new Set<string>();
  for (const { device } of confirmed) {
    for (const address of device.addresses) {
      const canonical = canonicalTailnetAddress(address);
      if (canonical) addresses.add(canonical);
    }
  }
  return addresses.size ? [...addresses].sort() : null;
}

/** One relay's split DNS, by its own PATCH, so a refused entry cannot block another relay's. */
async function applySplitDns(
  tailscale: TailscaleApi,
  relay: DesiredRelay,
  nameservers: string[] | null,
  actualSplit: SplitDnsMap,
  state: RelaySyncState,
  report: SyncReport,
  errors: SyncErrors,
): Promise<void> {
  const changes: Record<string, readonly string[]> = {};
  const pending: { domain: string; actual: string[] | null }[] = [];
  for (const domain of relay.domains) {
    const found = actualSplit[domain];
    const actual = found ? [...found] : null;
    if (!nameservers) {
      state.splitDns.push({
        domain,
        desired: null,
        actual,
        inSync: false,
        note: `waiting for a node of relay "${relay.name}" that the device list confirms`,
      });
      state.drift.push(`split DNS for ${domain}: no confirmed, recently seen relay node`);
      continue;
    }
    if (actual !== null && sameSet(actual, nameservers)) {
      state.splitDns.push({ domain, desired: nameservers, actual, inSync: true });
      continue;
    }
    changes[domain] = nameservers;
    pending.push({ domain, actual });
  }
  if (!pending.length || !nameservers) return;
  let failure: string | undefined;
  try {
    await tailscale.updateSplitDns(changes);
  } catch (error) {
    failure = errors.add(`relay "${relay.name}": split DNS`, error);
  }
  for (const { domain, actual } of pending) {
    const was = actual ? actual.join(", ") : "absent";
    state.splitDns.push({
      domain,
      desired: nameservers,
      actual,
      inSync: failure === undefined,
      note: failure === undefined ? `was ${was}; set` : `was ${was}; setting it failed: ${failure}`,
    });
    if (failure === undefined) {
      report.changes.push(`split DNS ${domain} → ${nameservers.join(", ")}`);
    } else {
      state.drift.push(`split DNS for ${domain}: ${was}, wanted ${nameservers.join(", ")}`);
    }
  }
}

/** Approves the relay prefix on one confirmed node, if the device advertises it. */
async function approveRoute(
  tailscale: TailscaleApi,
  relay: DesiredRelay,
  { node, device }: ConfirmedNode,
  state: RelaySyncState,
  report: SyncReport,
): Promise<void> {
  const route = { nodeId: node.nodeId, hostname: node.hostname, prefix: relay.prefix };
  const advertised = device.advertisedRoutes.map(canonicalPrefix).includes(relay.prefix);
  if (!advertised) {
    state.routes.push({ ...route, advertised: false, approved: false, note: "not advertised yet" });
    state.drift.push(
      `route ${relay.prefix} on ${node.hostname}: the node does not advertise it yet (agent: advertise: true)`,
    );
    return;
  }
  const current = await tailscale.getDeviceRoutes(device.nodeId);
  const enabled = current.enabledRoutes.map(canonicalPrefix);
  if (!enabled.includes(relay.prefix)) {
    await tailscale.replaceEnabledRoutes(device.nodeId, [...current.enabledRoutes, relay.prefix]);
    report.changes.push(`approved ${relay.prefix} on ${node.hostname}`);
  }
  state.routes.push({ ...route, advertised: true, approved: true });
}

async function apply(
  deps: ReconcileDeps & { tailscale: TailscaleApi },
  desired: DesiredRelay[],
  cleanups: CleanupRecord[],
  report: SyncReport,
  staleSeconds: number,
): Promise<SyncErrors> {
  const { tailscale } = deps;
  const devices = await tailscale.listDevices();
  const actualSplit = await tailscale.getSplitDns();
  const errors = new SyncErrors();

  // Routes still wanted (a relay's nodes that are what they claim, stale or not): never taken
  // back below.
  const desiredRoutes = new Map<string, Set<string>>();
  for (const relay of desired) {
    for (const node of [...relay.nodes, ...relay.staleNodes]) {
      const device = findDevice(devices, node.nodeId);
      if (!device || addressesNotOf(node, device).length) continue;
      desiredRoutes.set(
        device.nodeId,
        (desiredRoutes.get(device.nodeId) ?? new Set()).add(relay.prefix),
      );
    }
  }

  // Each relay on its own: a failure is its drift and the run's error, not the others' problem.
  for (const relay of desired) {
    const state = stateOf(report, relay.name);
    const confirmed = confirmNodes(relay, devices, state, staleSeconds);
    await applySplitDns(
      tailscale,
      relay,
      nameserversOf(confirmed),
      actualSplit,
      state,
      report,
      errors,
    );
    for (const node of confirmed) {
      try {
        await approveRoute(tailscale, relay, node, state, report);
      } catch (error) {
        const message = errors.add(`relay "${relay.name}": route on ${node.node.hostname}`, error);
        state.routes.push({
          nodeId: node.node.nodeId,
          hostname: node.node.hostname,
          prefix: relay.prefix,
          advertised: null,
          approved: false,
          note: `approving failed: ${message}`,
        });
        state.drift.push(`route ${relay.prefix} on ${node.node.hostname}: ${message}`);
      }
    }
  }

  // Split DNS of removed domains: one PATCH of nulls; the records go only once it landed.
  const ourDomains = new Set(desired.flatMap((relay) => relay.domains));
  const splitCleanups = cleanups.filter((cleanup) => cleanup.kind === "split_dns");
  const removals: Record<string, null> = {};
  for (const cleanup of splitCleanups) {
    if (!ourDomains.has(cleanup.target) && actualSplit[cleanup.target] !== undefined) {
      removals[cleanup.target] = null;
    }
  }
  try {
    if (Object.keys(removals).length) {
      await tailscale.updateSplitDns(removals);
      for (const domain of Object.keys(removals))
        report.changes.push(`split DNS ${domain} removed`);
    }
    for (const cleanup of splitCleanups) await deleteCleanup(deps.database, cleanup.id);
  } catch (error) {
    errors.add("removing split DNS", error);
  }

  // Take back approvals of deleted relays / old prefixes, keeping every other route.
  for (const cleanup of cleanups.filter((c) => c.kind === "route")) {
    const prefix = canonicalPrefix(cleanup.target);
    const device = findDevice(devices, cleanup.nodeId);
    try {
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
    } catch (error) {
      errors.add(`un-approving ${prefix} on node ${cleanup.nodeId}`, error);
    }
  }
  return errors;
}

export async function reconcile(deps: ReconcileDeps): Promise<SyncReport> {
  const at = deps.now().toISOString();
  const staleSeconds = deps.nodeStaleSeconds ?? DEFAULT_NODE_STALE_SECONDS;
  const desired = await desiredState(deps.database, deps.now(), staleSeconds);
  const cleanups = await listCleanups(deps.database);
  let report: SyncReport;
  if (!deps.tailscale) {
    report = plan(desired, cleanups, at, staleSeconds);
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
      const errors = await apply(
        { ...deps, tailscale: deps.tailscale },
        desired,
        cleanups,
        report,
        staleSeconds,
      );
      if (errors.messages.length) {
        report.ok = false;
        report.error = errors.messages.join("; ");
        report.causes = errors.causes;
      }
    } catch (error) {
      // The device list or the split DNS map could not be read: nothing was decided.
      report.ok = false;
      report.error = messageOf(error);
      report.causes = [syncFailureCause(error)];
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
