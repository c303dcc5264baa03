// An app over a given database with a Tailscale API fake, for route tests on Node and in
// workerd alike (no node: imports here).
import { createApp } from "../../../src/api/app.ts";
import type { LoadSwaggerUi } from "../../../src/api/docs/docs-page.ts";
import type { ApiLimits } from "../../../src/api/limits.ts";
import { ApiMetrics } from "../../../src/api/observe/api-metrics.ts";
import type { ApiLog } from "../../../src/api/observe/log.ts";
import { reconcile } from "../../../src/api/reconciler/reconcile.ts";
import type { AppDeps } from "../../../src/api/routes/shared.ts";
import { ensureBootstrapAdmin } from "../../../src/api/services/bootstrap-admin.ts";
import type { ChangeKind } from "../../../src/api/services/context.ts";
import type { ChangeSignal } from "../../../src/api/services/get-agent-config.ts";
import type { Database } from "../../../src/api/storage/database.ts";
import { TailscaleHttpClient } from "../../../src/api/tailscale/http-client.ts";
import { FakeTailscaleApi } from "../../fakes/tailscale-api.ts";

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface ApiHarness {
  readonly adminToken: string;
  readonly fake: FakeTailscaleApi;
  readonly database: Database;
  /** Waits the Tailscale client was asked to make between attempts (ms). */
  readonly sleeps: number[];
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessExtra {
  readonly limits?: ApiLimits;
  readonly now?: () => Date;
}
const silentLog: ApiLog = { info: () => {}, warn: () => {}, error: () => {} };

export async function buildHarness(options: {
  database: Database;
  changeSignal: ChangeSignal;
  notify?: () => void;
  mode?: "apply" | "plan";
  close?: () => Promise<void>;
  /** Limits other than the defaults, and a clock for tests of time-based pruning. */
  extra?: HarnessExtra;
  /** Where access-log lines go; default: nowhere. */
  log?: ApiLog;
  /** The runtime's own loader: files from node_modules on Node, text modules in workerd. */
  loadSwaggerUi: LoadSwaggerUi;
}): Promise<ApiHarness> {
  const fake = new FakeTailscaleApi();
  const sleeps: number[] = [];
  const tailscale =
    options.mode === "plan"
      ? undefined
      : new TailscaleHttpClient({
          baseUrl: "http://127.0.0.1:9", // never dialled: fetch is the in-process fake
          tailnet: "-",
          auth: { kind: "apiKey", apiKey: "tskey-api-test" },
          fetch: fake.fetch,
          sleep: async (ms) => {
            sleeps.push(ms);
          },
        });
  const now = options.extra?.now ?? (() => new Date());
  const deps: AppDeps = {
    database: options.database,
    now,
    adminTokenHash: undefined,
    changeSignal: options.changeSignal,
    onChange: (kinds: readonly ChangeKind[]) => {
      if (kinds.includes("config")) options.notify?.();
    },
    reconcileNow: () => reconcile({ database: options.database, tailscale, now }),
    maxWaitSeconds: 30,
    agentReportIntervalSeconds: 30,
    logError: (error) => console.error(error),
    ...(options.extra?.limits ? { limits: options.extra.limits } : {}),
    log: options.log ?? silentLog,
    metrics: new ApiMetrics(),
    loadSwaggerUi: options.loadSwaggerUi,
  };
  const adminToken = await ensureBootstrapAdmin({
    ctx: { database: options.database, caller: { type: "system" }, now, changed: () => {} },
    input: { adminTokenConfigured: false },
  });
  if (!adminToken) throw new Error("harness: expected an empty database");
  const app = createApp(deps);
  return {
    adminToken,
    fake,
    database: options.database,
    sleeps,
    async request(method, path, { token, body, headers = {} } = {}) {
      const init: RequestInit = {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined
          ? {}
          : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      };
      return app.request(path, init);
    },
    close: options.close ?? (async () => {}),
  };
}
