// Workers entry: D1 through drizzle-orm/d1, env bindings validated once per isolate, the
// reconciler after changes (waitUntil) and on the cron trigger (wrangler.toml), long polls
// re-reading D1 at a short interval.

import type { AnyD1Database } from "drizzle-orm/d1";
import { drizzle } from "drizzle-orm/d1";
import { isRelayError } from "../core/errors.ts";
import { createApp } from "./app.ts";
import { PollingSignal } from "./change-signal.ts";
import { type ApiEnv, readApiEnv } from "./env.ts";
import { errorBody } from "./http-errors.ts";
import { nodeStaleSecondsOf } from "./reconciler/node-liveness.ts";
import { reconcile } from "./reconciler/reconcile.ts";
import { buildDeps, tailscaleClientOf } from "./runtime.ts";
import { ensureBootstrapAdmin } from "./services/bootstrap-admin.ts";
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
  /** Set by a committed change during a request; the fetch handler turns it into waitUntil. */
  reconcilePending: boolean;
}

const runtimes = new WeakMap<object, Promise<Runtime>>();

function runReconcile(runtime: Runtime) {
  return reconcile({
    database: runtime.database,
    tailscale: runtime.tailscale,
    now: () => new Date(),
    nodeStaleSeconds: nodeStaleSecondsOf(runtime.env.AGENT_REPORT_INTERVAL_SECONDS),
  });
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
  const runtime: Runtime = {
    env,
    database,
    tailscale,
    reconcilePending: false,
    app: undefined as unknown as Runtime["app"],
  };
  const deps = await buildDeps({
    env,
    database,
    tailscale,
    changeSignal: new PollingSignal(env.AGENT_POLL_INTERVAL_MS),
    onChange: (kinds) => {
      if (kinds.includes("tailscale")) runtime.reconcilePending = true;
    },
    reconcileNow: () => runReconcile(runtime),
    logError: (error, requestId) => console.error(`request ${requestId} failed`, error),
  });
  return Object.assign(runtime, { app: createApp(deps) });
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
    if (runtime.reconcilePending) {
      runtime.reconcilePending = false;
      ctx.waitUntil(
        runReconcile(runtime).catch((error) => console.error("reconcile failed", error)),
      );
    }
    return response;
  },

  async scheduled(
    _controller: unknown,
    bindings: WorkerBindings,
    ctx: WorkerContext,
  ): Promise<void> {
    const runtime = await runtimeFor(bindings);
    ctx.waitUntil(runReconcile(runtime));
  },
};
