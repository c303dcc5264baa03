// getStatus: per relay, its nodes, what they applied, and Tailscale sync state and drift.
import { z } from "zod";
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
      lastSeenAt: z.string(),
      appliedRevision: z.number().int(),
      upToDate: z.boolean(),
      doctor: z.unknown(),
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

export async function getStatus({ ctx }: { ctx: ServiceContext }): Promise<StatusOutput> {
  requireScope(ctx.caller, "operator");
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
        .map((node) => ({
          nodeId: node.nodeId,
          hostname: node.hostname,
          addresses: node.addresses,
          lastSeenAt: node.lastSeenAt,
          appliedRevision: node.appliedRevision,
          upToDate: node.appliedRevision === relay.configRevision,
          doctor: node.doctor,
        })),
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
