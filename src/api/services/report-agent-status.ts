// reportAgentStatus: a relay node says who it is on the tailnet and what it applied. A new node
// or a changed identity is a mutation (audited, reconciled); a plain heartbeat is bookkeeping.
// The answer tells the agent how often to report: silent for 3 intervals, the node is down.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import { dnsNameProblems } from "../../core/validation/dns-name.ts";
import { jsonValueDepth } from "../../core/validation/json-bounds.ts";
import { DEFAULT_API_LIMITS } from "../limits.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import {
  countRelayNodes,
  deleteSilentRelayNodes,
  findRelayById,
  findRelayNode,
  upsertRelayNode,
} from "../storage/relays.ts";
import { canonicalTailnetAddress } from "../tailscale/tailnet-address.ts";
import { actorOf, isoNow, requireAgentOf, type ServiceContext, withFreshState } from "./context.ts";
import { parseInput } from "./parse.ts";

/** An address Tailscale could have given the node, in canonical text. */
const TailnetAddress = z.string().transform((text, ctx) => {
  const canonical = canonicalTailnetAddress(text);
  if (canonical === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `"${text}" is not a Tailscale address (100.64.0.0/10 or fd7a:115c:a1e0::/48)`,
    });
    return z.NEVER;
  }
  return canonical;
});

/**
 * The node's host name as Tailscale shows it: LDH labels (RFC 1123 §2.1), nothing else. It is
 * shown to admins (plan-mode steps, drift), so no spaces, newlines or punctuation get in.
 */
const NodeHostname = z
  .string()
  .min(1)
  .max(253)
  .superRefine((text, ctx) => {
    const problems = dnsNameProblems(text.toLowerCase());
    if (problems.length) {
      ctx.addIssue({
        code: "custom",
        message: "a host name: letters, digits and inner hyphens, labels joined by dots (RFC 1123)",
      });
    }
  });

/** Bounds on the doctor summary: stored per node and shown in /v1/status. */
export const MAX_DOCTOR_BYTES = 4096;
export const MAX_DOCTOR_DEPTH = 4;

const DoctorSummary = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > MAX_DOCTOR_BYTES) {
    ctx.addIssue({
      code: "custom",
      message: `the doctor summary is ${bytes} bytes as JSON; the limit is ${MAX_DOCTOR_BYTES}`,
    });
  }
  const depth = jsonValueDepth(value);
  if (depth > MAX_DOCTOR_DEPTH) {
    ctx.addIssue({
      code: "custom",
      message: `the doctor summary is nested ${depth} levels deep; the limit is ${MAX_DOCTOR_DEPTH}`,
    });
  }
});

/** What the agent's last apply did (docs/managed.md): what changed, or why it refused. */
export const AgentApplyReport = z.strictObject({
  revision: z.number().int().nonnegative(),
  outcome: z.enum(["applied", "refused"]),
  changes: z.array(z.string().max(300)).max(50).default([]),
  reasons: z.array(z.string().max(1000)).max(20).default([]),
  at: z.iso.datetime(),
});

const COUNTER_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** DNS and NAT64 counters since the agent started, by name (at most 64). */
export const AgentCounters = z
  .record(z.string().regex(COUNTER_NAME, "counter names: a-z, 0-9, _"), z.number().nonnegative())
  .refine((counters) => Object.keys(counters).length <= 64, "at most 64 counters");

export const ReportAgentStatusInput = z.strictObject({
  nodeId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "a Tailscale node id: letters, digits, _ and -")
    .describe("tailscale status --json: Self.ID (stable node id)"),
  hostname: NodeHostname.describe("Self.HostName (RFC 1123 host name)"),
  addresses: z
    .array(TailnetAddress)
    .min(1)
    .max(16)
    .describe(
      "Self.TailscaleIPs. Only checked against the device list: split DNS uses the addresses Tailscale shows for the node",
    ),
  appliedRevision: z.number().int().nonnegative().describe("config revision the agent runs"),
  doctor: DoctorSummary.optional().describe(
    `doctor summary, e.g. {ok: true, failed: []}; at most ${MAX_DOCTOR_BYTES} bytes as JSON, ${MAX_DOCTOR_DEPTH} levels deep`,
  ),
  lastApply: AgentApplyReport.optional().describe("what the last apply changed or refused"),
  counters: AgentCounters.optional().describe("e.g. {dns_queries: 120, nat64_packets: 40}"),
});
export type ReportAgentStatusInput = z.infer<typeof ReportAgentStatusInput>;

export const ReportAgentStatusOutput = z.object({
  relay: z.string(),
  nodeId: z.string(),
  currentRevision: z.number().int(),
  upToDate: z.boolean(),
  reportIntervalSeconds: z
    .number()
    .int()
    .describe("report again within this; a node silent for 3 intervals is down"),
});
export type ReportAgentStatusOutput = z.infer<typeof ReportAgentStatusOutput>;

export async function reportAgentStatus({
  ctx,
  input,
  reportIntervalSeconds,
}: {
  ctx: ServiceContext;
  input: unknown;
  reportIntervalSeconds: number;
}): Promise<ReportAgentStatusOutput> {
  const relayId = requireAgentOf(ctx.caller);
  const body = parseInput(ReportAgentStatusInput, input);
  const relay = await findRelayById(ctx.database, relayId);
  if (!relay) throw new RelayError("not_found", "this token's relay was deleted");
  const at = isoNow(ctx);
  const node = {
    relayId,
    nodeId: body.nodeId,
    hostname: body.hostname,
    addresses: [...new Set(body.addresses)].sort(),
    lastSeenAt: at,
    appliedRevision: body.appliedRevision,
    doctor: body.doctor ?? null,
    report:
      body.lastApply || body.counters
        ? { lastApply: body.lastApply ?? null, counters: body.counters ?? null }
        : null,
  };
  const known = await findRelayNode(ctx.database, relayId, body.nodeId);
  const identityChanged =
    !known ||
    known.hostname !== node.hostname ||
    known.addresses.join(",") !== node.addresses.join(",");
  if (identityChanged) {
    await withFreshState(ctx, async () => {
      const readVersion = await readStateVersion(ctx.database);
      // Counted on the state the commit's guard checks: two new nodes at once cannot both fit.
      if (!known) await makeRoomForNewNode(ctx, relayId, relay.name);
      await commitMutation(ctx.database, {
        readVersion,
        at,
        audit: {
          actor: actorOf(ctx.caller),
          verb: "agent.identity",
          // The identity only: the doctor summary is status, not part of the change.
          input: {
            relay: relay.name,
            nodeId: node.nodeId,
            hostname: node.hostname,
            addresses: node.addresses,
            appliedRevision: node.appliedRevision,
          },
        },
        statements: (db) => [upsertRelayNode(db, node)],
      });
    });
  } else {
    await ctx.database.batch([upsertRelayNode(ctx.database.db, node)]);
  }
  // "applied" lets the Slack bot update its confirmations as each node catches up.
  const applied = !known || known.appliedRevision !== node.appliedRevision;
  const kinds = [
    ...(identityChanged ? ["tailscale" as const] : []),
    ...(applied ? ["applied" as const] : []),
  ];
  if (kinds.length) ctx.changed(kinds);
  return {
    relay: relay.name,
    nodeId: node.nodeId,
    currentRevision: relay.configRevision,
    upToDate: body.appliedRevision === relay.configRevision,
    reportIntervalSeconds,
  };
}

/**
 * A new node for this relay: forget nodes silent longer than the prune age, then refuse when the
 * relay still has as many nodes as it may (an agent token cannot grow the table without bound).
 */
async function makeRoomForNewNode(
  ctx: ServiceContext,
  relayId: string,
  relayName: string,
): Promise<void> {
  const limits = ctx.limits ?? DEFAULT_API_LIMITS;
  const silentSince = new Date(ctx.now().getTime() - limits.nodePruneSeconds * 1000);
  await ctx.database.batch([
    deleteSilentRelayNodes(ctx.database.db, relayId, silentSince.toISOString()),
  ]);
  const count = await countRelayNodes(ctx.database, relayId);
  if (count >= limits.maxNodesPerRelay) {
    throw new RelayError(
      "conflict",
      `relay "${relayName}" already has ${count} nodes (RELAY_MAX_NODES is ${limits.maxNodesPerRelay}); nodes silent for ${limits.nodePruneSeconds} s are removed (RELAY_NODE_PRUNE_SECONDS)`,
    );
  }
}
