// syncNow: reconciles Tailscale with the database at once and answers the report.
import type { SyncReport } from "../reconciler/report.ts";
import { requireScope, type ServiceContext } from "./context.ts";

export async function syncNow({
  ctx,
  reconcile,
}: {
  ctx: ServiceContext;
  reconcile: () => Promise<SyncReport>;
}): Promise<SyncReport> {
  requireScope(ctx.caller, "operator");
  return reconcile();
}
