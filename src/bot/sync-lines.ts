// One line of mrkdwn per piece of sync state (split DNS, route approval, relay node), shared by
// confirmations, `list`, `status` and `check`, so every reply says the same thing the same way.
import type { StatusOutput } from "../api/services/get-status.ts";
import { code } from "./slack/message.ts";

export type RelayStatus = StatusOutput["relays"][number];
export type NodeStatus = RelayStatus["nodes"][number];

export const DONE = ":white_check_mark:";
export const WAITING = ":hourglass_flowing_sand:";
export const FAILED = ":x:";
export const MANUAL = ":memo:";

interface SplitDnsEntry {
  domain: string;
  desired: string[] | null;
  inSync: boolean;
  note?: string;
}

interface RouteEntry {
  hostname: string;
  prefix: string;
  advertised: boolean | null;
  approved: boolean | null;
  note?: string;
}

export function isPlanMode(status: StatusOutput): boolean {
  return status.tailscale?.mode === "plan";
}

export function splitDnsEntryOf(relay: RelayStatus | undefined, domain: string) {
  return (relay?.tailscale?.splitDns as SplitDnsEntry[] | undefined)?.find(
    (entry) => entry.domain === domain,
  );
}

export function routesOf(relay: RelayStatus | undefined): RouteEntry[] {
  return (relay?.tailscale?.routes as RouteEntry[] | undefined) ?? [];
}

/** The admin-console step the reconciler wrote for `domain` (plan mode). */
function stepFor(status: StatusOutput, domain: string): string | undefined {
  return status.tailscale?.steps.find((step) => step.includes(`"${domain}"`));
}

export function splitDnsLine(status: StatusOutput, relay: RelayStatus | undefined, domain: string) {
  const entry = splitDnsEntryOf(relay, domain);
  if (isPlanMode(status)) {
    const step = stepFor(status, domain);
    return `${MANUAL} Split DNS for ${code(domain)}: plan mode (no Tailscale credentials on the server)${step ? `: ${step}` : ""}`;
  }
  if (!entry) return `${WAITING} Split DNS for ${code(domain)}: waiting for the reconciler`;
  if (entry.inSync && entry.desired) {
    return `${DONE} Split DNS for ${code(domain)}: set, queries go to ${entry.desired.join(", ")}`;
  }
  if (!entry.desired) {
    return `${WAITING} Split DNS for ${code(domain)}: not set yet: ${entry.note ?? "no relay node confirmed"}`;
  }
  return `${FAILED} Split DNS for ${code(domain)}: ${entry.note ?? "not in sync"}; the reconciler tries again`;
}

export function splitDnsDone(status: StatusOutput, relay: RelayStatus | undefined, domain: string) {
  return isPlanMode(status) || splitDnsEntryOf(relay, domain)?.inSync === true;
}

export function routeLine(route: RouteEntry): string {
  const where = `Route ${code(route.prefix)} on ${code(route.hostname)}`;
  if (route.approved === true) return `${DONE} ${where}: approved`;
  if (route.approved === null) {
    return `${MANUAL} ${where}: approve it in the admin console (Machines → ${route.hostname} → Edit route settings…)`;
  }
  return `${WAITING} ${where}: ${route.note ?? "not approved yet"}`;
}

export function routesDone(status: StatusOutput, relay: RelayStatus | undefined): boolean {
  if (isPlanMode(status)) return true;
  const routes = routesOf(relay);
  return routes.length > 0 && routes.every((route) => route.approved === true);
}

export function nodeLine(node: NodeStatus, revision: number): string {
  if (node.state === "down") {
    return `${FAILED} Node ${code(node.hostname)} is down: no report since ${node.lastSeenAt} (runs revision ${node.appliedRevision})`;
  }
  if (node.appliedRevision >= revision) {
    return `${DONE} Node ${code(node.hostname)} applied revision ${revision}`;
  }
  return `${WAITING} Node ${code(node.hostname)} runs revision ${node.appliedRevision}, waiting for ${revision} (last seen ${node.lastSeenAt})`;
}

/** Every node that is up applied `revision` (and one is up): down nodes catch up on return. */
export function nodesDone(relay: RelayStatus | undefined, revision: number): boolean {
  const up = (relay?.nodes ?? []).filter((node) => node.state === "up");
  return up.length > 0 && up.every((node) => node.appliedRevision >= revision);
}

export function noNodesLine(relay: string): string {
  return `${WAITING} No node of relay ${code(relay)} has reported yet: start the relay agent on its machines`;
}

/** The doctor summary an agent sent ({ok, failed: [...]}) in a few words. */
export function doctorSummary(doctor: unknown): string {
  if (!doctor || typeof doctor !== "object") return "no doctor report";
  const { ok, failed } = doctor as { ok?: unknown; failed?: unknown };
  if (ok === true) return "doctor ok";
  const names = Array.isArray(failed) ? failed.map(String).slice(0, 5) : [];
  return names.length ? `doctor failed: ${names.join(", ")}` : "doctor reports problems";
}

/** Route state of a relay in as few lines as say it: one when all is approved. */
export function routeSummary(status: StatusOutput, relay: RelayStatus | undefined): string[] {
  const routes = routesOf(relay);
  if (!relay || relay.nodes.length === 0) return [noNodesLine(relay?.name ?? "?")];
  if (!isPlanMode(status) && routesDone(status, relay)) {
    return [`${DONE} Route ${code(relay.prefix)} approved on every node`];
  }
  return routes.length ? routes.map(routeLine) : [`${WAITING} Routes: waiting for the reconciler`];
}
