// How the operator CLI prints API answers for people (--json prints them as they came). Pure.
import type { StatusOutput } from "../api/services/get-status.ts";
import type { RelayView } from "../api/services/schemas.ts";
import type { SplitDomainView } from "../api/services/split-domain-view.ts";

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatRelays(relays: readonly RelayView[]): string {
  if (!relays.length) return "no relays; add one with `nat64-relay relays create NAME`";
  return table(
    ["NAME", "PREFIX", "POOL", "ENGINE", "REVISION"],
    relays.map((relay) => [
      relay.name,
      relay.prefix,
      relay.pool,
      relay.engine,
      String(relay.configRevision),
    ]),
  );
}

export function formatDomains(domains: readonly SplitDomainView[]): string {
  if (!domains.length) {
    return "no split domains; add one with `nat64-relay domains add NAME --real-suffix SUFFIX --relay RELAY`";
  }
  return table(
    ["NAME", "REAL SUFFIX", "RELAY", "CREATED BY"],
    domains.map((domain) => [domain.name, domain.realSuffix, domain.relay, domain.createdBy]),
  );
}

const relayDrift = (status: StatusOutput) =>
  status.relays.flatMap((relay) =>
    (relay.tailscale?.drift ?? []).map((line) => `${relay.name}: ${line}`),
  );

export function formatStatus(status: StatusOutput): string {
  const lines: string[] = [];
  for (const relay of status.relays) {
    lines.push(`relay ${relay.name} (prefix ${relay.prefix}, revision ${relay.configRevision})`);
    if (!relay.nodes.length) lines.push("  no node has reported yet");
    for (const node of relay.nodes) {
      const applied = node.upToDate ? "up to date" : `applied revision ${node.appliedRevision}`;
      lines.push(
        `  node ${node.hostname} ${node.addresses.join(" ")}: ${node.state}, ${applied}, last seen ${node.lastSeenAt}`,
      );
    }
  }
  if (!status.relays.length) lines.push("no relays");
  const sync = status.tailscale;
  if (!sync) lines.push("tailscale: not reconciled yet");
  else {
    lines.push(
      `tailscale: ${sync.mode} mode, last run ${sync.at}: ${sync.ok ? "ok" : `failed (${sync.error ?? "no message"})`}`,
    );
    for (const step of sync.steps) lines.push(`  to do: ${step}`);
    for (const drift of relayDrift(status)) lines.push(`  drift: ${drift}`);
    for (const cleanup of sync.pendingCleanups) lines.push(`  pending: ${cleanup}`);
  }
  return lines.join("\n");
}
