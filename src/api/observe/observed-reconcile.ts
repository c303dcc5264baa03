// A reconciler run that is counted and, when it fails, logged once with its causes: the one
// place both entries (Node timer and routes, Workers cron and routes) run the reconciler through.
import type { SyncReport } from "../reconciler/report.ts";
import { messageOf } from "../reconciler/sync-errors.ts";
import type { ApiMetrics } from "./api-metrics.ts";
import type { ApiLog } from "./log.ts";

export function observedReconcile(
  run: () => Promise<SyncReport>,
  observe: { readonly log: ApiLog; readonly metrics: ApiMetrics },
): () => Promise<SyncReport> {
  return async () => {
    let report: SyncReport;
    try {
      report = await run();
    } catch (error) {
      observe.metrics.countSyncRun(false, ["internal"]);
      observe.log.error(
        { event: "sync_failed", causes: ["internal"], error: messageOf(error) },
        "Tailscale sync failed",
      );
      throw error;
    }
    observe.metrics.countSyncRun(report.ok, report.causes ?? []);
    if (!report.ok) {
      observe.log.warn(
        {
          event: "sync_failed",
          mode: report.mode,
          causes: report.causes ?? [],
          error: report.error,
        },
        "Tailscale sync failed",
      );
    }
    return report;
  };
}
