// Workers entry: D1 through drizzle-orm/d1, env bindings validated once per isolate, the
// reconciler after changes (waitUntil) and on the cron trigger (wrangler.toml), long polls
// re-reading D1 at a short interval.

import type { AnyD1Database } from "drizzle-orm/d1";
import { drizzle } from "drizzle-orm/d1";
import { readSlackEnv } from "../bot/env.ts";
import { type WorkerSlackBot, workerSlackBot } from "../bot/worker-mount.ts";
import { isRelayError } from "../core/errors.ts";
import { createApp } from "./app.ts";
import { PollingSignal } from "./change-signal.ts";
import { loadWorkerSwaggerUi } from "./docs/worker-swagger-ui.ts";
import { type ApiEnv, readApiEnv } from "./env.ts";
import { errorBody } from "./http-errors.ts";
import { ApiMetrics } from "./observe/api-metrics.ts";
import { consoleJsonLog } from "./observe/log.ts";
import { observedReconcile } from "./observe/observed-reconcile.ts";
import { nodeStaleSecondsOf } from "./reconciler/node-liveness.ts";
import { reconcile } from "./reconciler/reconcile.ts";
import type { SyncReport } from "./reconciler/report.ts";
import { buildDeps, tailscaleClientOf } from "./runtime.ts";
import { ensureBootstrapAdmin } from "./services/bootstrap-admin.ts";
import type { ChangeKind } from "./services/context.ts";
import { type Database, databaseOf } from "./storage/database.ts";
import { schema } from "./storage/schema.ts";
import type { TailscaleApi } from "./tailscale/api.ts";

export interface WorkerBindings {
  readonly DB: AnyD1Database;
  readonly [key: string]: unknown;
}

/** The subset of ExecutionContext used here. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

interface Runtime {
  readonly env: ApiEnv;
  readonly database: Database;
  readonly tailscale: TailscaleApi | undefined;
  readonly app: ReturnType<typeof createApp>;
  /** The reconciler, counted and logged (observe/observed-reconcile.ts). */
  readonly reconcile: () => Promise<SyncReport>;
  /** Set by a committed change during a request; the fetch handler turns it into waitUntil. */
  reconcilePending: boolean;
  /** Set when a relay node applied a revision: Slack confirmations are updated. */
  refreshPending: boolean;
  slackBot: WorkerSlackBot | undefined;
}

const runtimes = new WeakMap<object, Promise<Runtime>>();

/** The background work a request left: a reconcile, or else a Slack confirmation update. */
async function runPending(runtime: Runtime): Promise<void> {
  if (runtime.reconcilePending) {
    runtime.reconcilePending = false;
    runtime.refreshPending = false;
    await runtime.reconcile().catch((error) => console.error("reconcile failed", error));
  } else if (runtime.refreshPending) {
    runtime.refreshPending = false;
    await runtime.slackBot?.refresh();
  }
}

async function createRuntime(bindings: WorkerBindings): Promise<Runtime> {
  const env = readApiEnv(bindings as Record<string, unknown>);
  const database = databaseOf(drizzle(bindings.DB, { schema }));
  const tailscale = tailscaleClientOf(env);
  const bootstrap = await ensureBootstrapAdmin({
    ctx: { database, caller: { type: "system" }, now: () => new Date(), changed: () => {} },
    input: { adminTokenConfigured: Boolean(env.ADMIN_TOKEN) },
  });
  if (bootstrap) {
    console.log(
      `nat64-relay: first start — bootstrap admin token (shown once, store it now): ${bootstrap}`,
    );
  }
  const slackEnv = readSlackEnv(bindings as Record<string, unknown>);
  const metrics = new ApiMetrics();
  const runtime: Runtime = {
    env,
    database,
    tailscale,
    reconcilePending: false,
    refreshPending: false,
    slackBot: undefined,
    app: undefined as unknown as Runtime["app"],
    reconcile: observedReconcile(
      async () => {
        const report = await reconcile({
          database,
          tailscale,
          now: () => new Date(),
          nodeStaleSeconds: nodeStaleSecondsOf(env.AGENT_REPORT_INTERVAL_SECONDS),
        });
        await runtime.slackBot?.refresh();
        return report;
      },
      { log: consoleJsonLog, metrics },
    ),
  };
  const onChange = (kinds: readonly ChangeKind[]) => {
    if (kinds.includes("tailscale")) runtime.reconcilePending = true;
    if (kinds.includes("applied")) runtime.refreshPending = true;
  };
  runtime.slackBot = workerSlackBot({
    env: slackEnv,
    database,
    changed: onChange,
    reportIntervalSeconds: env.AGENT_REPORT_INTERVAL_SECONDS,
    afterWork: () => runPending(runtime),
  });
  const deps = await buildDeps({
    env,
    database,
    tailscale,
    changeSignal: new PollingSignal(env.AGENT_POLL_INTERVAL_MS),
    onChange,
    reconcileNow: () => runtime.reconcile(),
    logError: (error, requestId) => console.error(`request ${requestId} failed`, error),
    log: consoleJsonLog,
    metrics,
    loadSwaggerUi: loadWorkerSwaggerUi,
  });
  return Object.assign(runtime, {
    app: createApp({ ...deps, slackEvents: runtime.slackBot?.events }),
  });
}

function runtimeFor(bindings: WorkerBindings): Promise<Runtime> {
  let runtime = runtimes.get(bindings);
  if (!runtime) {
    runtime = createRuntime(bindings);
    runtimes.set(bindings, runtime);
    runtime.catch(() => runtimes.delete(bindings));
  }
  return runtime;
}

export default {
  async fetch(request: Request, bindings: WorkerBindings, ctx: WorkerContext): Promise<Response> {
    let runtime: Runtime;
    try {
      runtime = await runtimeFor(bindings);
    } catch (error) {
      const message = isRelayError(error) ? error.message : "start-up failed";
      console.error("nat64-relay: start-up failed", error);
      return Response.json(errorBody("internal", message, crypto.randomUUID()), { status: 500 });
    }
    const response = await runtime.app.fetch(request, bindings, ctx as never);
    if (runtime.reconcilePending || runtime.refreshPending) ctx.waitUntil(runPending(runtime));
    return response;
  },

  async scheduled(
    _controller: unknown,
    bindings: WorkerBindings,
    ctx: WorkerContext,
  ): Promise<void> {
    const runtime = await runtimeFor(bindings);
    ctx.waitUntil(runtime.reconcile());
  },
};
