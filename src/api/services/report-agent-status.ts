// reportAgentStatus: a relay node says who it is on the tailnet and what it applied. A new node
// or a changed identity is a mutation (audited, reconciled); a plain heartbeat is bookkeeping.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import { findRelayById, findRelayNode, upsertRelayNode } from "../storage/relays.ts";
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

export const ReportAgentStatusInput = z.strictObject({
  nodeId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, "a Tailscale node id: letters, digits, _ and -")
    .describe("tailscale status --json: Self.ID (stable node id)"),
  hostname: z.string().min(1).max(253).describe("Self.HostName"),
  addresses: z
    .array(TailnetAddress)
    .min(1)
    .max(16)
    .describe(
      "Self.TailscaleIPs. Only checked against the device list: split DNS uses the addresses Tailscale shows for the node",
    ),
  appliedRevision: z.number().int().nonnegative().describe("config revision the agent runs"),
  doctor: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("doctor summary, e.g. {ok: true, failed: []}"),
});
export type ReportAgentStatusInput = z.infer<typeof ReportAgentStatusInput>;

export const ReportAgentStatusOutput = z.object({
  relay: z.string(),
  nodeId: z.string(),
  currentRevision: z.number().int(),
  upToDate: z.boolean(),
});
export type ReportAgentStatusOutput = z.infer<typeof ReportAgentStatusOutput>;

export async function reportAgentStatus({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
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
  };
  const known = await findRelayNode(ctx.database, relayId, body.nodeId);
  const identityChanged =
    !known ||
    known.hostname !== node.hostname ||
    known.addresses.join(",") !== node.addresses.join(",");
  if (identityChanged) {
    await withFreshState(ctx, async () => {
      const readVersion = await readStateVersion(ctx.database);
      await commitMutation(ctx.database, {
        readVersion,
        at,
        audit: {
          actor: actorOf(ctx.caller),
          verb: "agent.identity",
          input: { relay: relay.name, ...body },
        },
        statements: (db) => [upsertRelayNode(db, node)],
      });
    });
    ctx.changed(["tailscale"]);
  } else {
    await ctx.database.batch([upsertRelayNode(ctx.database.db, node)]);
  }
  return {
    relay: relay.name,
    nodeId: node.nodeId,
    currentRevision: relay.configRevision,
    upToDate: body.appliedRevision === relay.configRevision,
  };
}
