// getStatus: per relay, its nodes (up or down, what they applied), and Tailscale sync state and
// drift.
import { z } from "zod";
import { isNodeUp, nodeStaleSecondsOf } from "../reconciler/node-liveness.ts";
import { SyncReport } from "../reconciler/report.ts";
import { listRelayNodes, listRelays } from "../storage/relays.ts";
import { readSyncReport } from "../storage/tailscale-state.ts";
import { requireScope, type ServiceContext } from "./context.ts";

export const RelayStatus = z.object({
  name: z.string(),
  prefix: z.string(),
  configRevision: z.number().int(),
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      hostname: z.string(),
      addresses: z.array(z.string()),
      state: z
        .enum(["up", "down"])
        .describe("down: no report for 3 intervals; then not a nameserver or route target"),
      lastSeenAt: z.string(),
      appliedRevision: z.number().int(),
      upToDate: z.boolean(),
      doctor: z.unknown(),
      lastApply: z.unknown().describe("what the node's last apply changed or refused"),
      counters: z.unknown().describe("the node's DNS and NAT64 counters"),
    }),
  ),
  tailscale: z
    .object({
      splitDns: z.array(z.unknown()),
      routes: z.array(z.unknown()),
      drift: z.array(z.string()),
    })
    .nullable(),
});

export const StatusOutput = z.object({
  relays: z.array(RelayStatus),
  tailscale: SyncReport.omit({ relays: true })
    .nullable()
    .describe("last reconciliation; null before the first one"),
});
export type StatusOutput = z.infer<typeof StatusOutput>;

export async function getStatus({
  ctx,
  reportIntervalSeconds,
}: {
  ctx: ServiceContext;
  reportIntervalSeconds: number;
}): Promise<StatusOutput> {
  requireScope(ctx.caller, "operator");
  const now = ctx.now();
  const staleSeconds = nodeStaleSecondsOf(reportIntervalSeconds);
  const [relays, nodes, stored] = await Promise.all([
    listRelays(ctx.database),
    listRelayNodes(ctx.database),
    readSyncReport(ctx.database),
  ]);
  const parsed = SyncReport.safeParse(stored);
  const report = parsed.success ? parsed.data : undefined;
  return {
    relays: relays.map((relay) => ({
      name: relay.name,
      prefix: relay.settings.prefix,
      configRevision: relay.configRevision,
      nodes: nodes
        .filter((node) => node.relayId === relay.id)
        .map((node) => {
          const report = (node.report ?? {}) as { lastApply?: unknown; counters?: unknown };
          return {
            nodeId: node.nodeId,
            hostname: node.hostname,
            addresses: node.addresses,
            state: isNodeUp(node, now, staleSeconds) ? ("up" as const) : ("down" as const),
            lastSeenAt: node.lastSeenAt,
            appliedRevision: node.appliedRevision,
            upToDate: node.appliedRevision === relay.configRevision,
            doctor: node.doctor,
            lastApply: report.lastApply ?? null,
            counters: report.counters ?? null,
          };
        }),
      tailscale: report?.relays[relay.name] ?? null,
    })),
    tailscale: report
      ? {
          at: report.at,
          mode: report.mode,
          ok: report.ok,
          ...(report.error ? { error: report.error } : {}),
          changes: report.changes,
          steps: report.steps,
          pendingCleanups: report.pendingCleanups,
        }
      : null,
  };
}
