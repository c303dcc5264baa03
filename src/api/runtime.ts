// Wiring shared by both entries: from validated env and a database to AppDeps.

import type { LoadSwaggerUi } from "./docs/docs-page.ts";
import { type ApiEnv, tailscaleAuthOf } from "./env.ts";
import { ApiMetrics } from "./observe/api-metrics.ts";
import type { ApiLog } from "./observe/log.ts";
import { observedReconcile } from "./observe/observed-reconcile.ts";
import { nodeStaleSecondsOf } from "./reconciler/node-liveness.ts";
import { reconcile } from "./reconciler/reconcile.ts";
import type { SyncReport } from "./reconciler/report.ts";
import type { AppDeps } from "./routes/shared.ts";
import type { ChangeKind } from "./services/context.ts";
import type { ChangeSignal } from "./services/get-agent-config.ts";
import { hashSecret } from "./services/token-secret.ts";
import type { Database } from "./storage/database.ts";
import type { TailscaleApi } from "./tailscale/api.ts";
import { TailscaleHttpClient } from "./tailscale/http-client.ts";

export function tailscaleClientOf(env: ApiEnv, fetcher?: typeof fetch): TailscaleApi | undefined {
  const auth = tailscaleAuthOf(env);
  if (!auth) return undefined;
  return new TailscaleHttpClient({
    baseUrl: env.TAILSCALE_API_BASE_URL,
    tailnet: env.TAILSCALE_TAILNET,
    auth,
    ...(fetcher ? { fetch: fetcher } : {}),
  });
}

export async function buildDeps(options: {
  env: ApiEnv;
  database: Database;
  tailscale: TailscaleApi | undefined;
  changeSignal: ChangeSignal;
  onChange: (kinds: readonly ChangeKind[]) => void;
  reconcileNow?: () => Promise<SyncReport>;
  now?: () => Date;
  logError: (error: unknown, requestId: string) => void;
  log: ApiLog;
  metrics?: ApiMetrics;
  loadSwaggerUi: LoadSwaggerUi;
}): Promise<AppDeps> {
  const now = options.now ?? (() => new Date());
  const metrics = options.metrics ?? new ApiMetrics();
  return {
    database: options.database,
    now,
    adminTokenHash: options.env.ADMIN_TOKEN ? await hashSecret(options.env.ADMIN_TOKEN) : undefined,
    changeSignal: options.changeSignal,
    onChange: options.onChange,
    reconcileNow:
      options.reconcileNow ??
      observedReconcile(
        () =>
          reconcile({
            database: options.database,
            tailscale: options.tailscale,
            now,
            nodeStaleSeconds: nodeStaleSecondsOf(options.env.AGENT_REPORT_INTERVAL_SECONDS),
          }),
        { log: options.log, metrics },
      ),
    maxWaitSeconds: options.env.AGENT_MAX_WAIT_SECONDS,
    agentReportIntervalSeconds: options.env.AGENT_REPORT_INTERVAL_SECONDS,
    logError: options.logError,
    limits: {
      maxBodyBytes: options.env.MAX_BODY_BYTES,
      maxNodesPerRelay: options.env.RELAY_MAX_NODES,
      nodePruneSeconds: options.env.RELAY_NODE_PRUNE_SECONDS,
    },
    log: options.log,
    metrics,
    loadSwaggerUi: options.loadSwaggerUi,
  };
}
