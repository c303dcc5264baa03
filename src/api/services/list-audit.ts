// listAudit: the newest audit records first.
import { z } from "zod";
import { listAudit as listRecords } from "../storage/mutation.ts";
import { requireScope, type ServiceContext } from "./context.ts";
import { parseInput } from "./parse.ts";

export const ListAuditInput = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListAuditInput = z.infer<typeof ListAuditInput>;

export const AuditRecordView = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  verb: z.string(),
  input: z.unknown(),
  outcome: z.string(),
});

export async function listAudit({ ctx, input }: { ctx: ServiceContext; input: unknown }) {
  requireScope(ctx.caller, "admin");
  const { limit } = parseInput(ListAuditInput, input);
  return listRecords(ctx.database, limit);
}
