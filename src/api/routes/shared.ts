// What every route file shares: the app type, the request-scoped service context, the
// documented error answers.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { LoadSwaggerUi } from "../docs/docs-page.ts";
import { ErrorBody } from "../http-errors.ts";
import type { ApiLimits } from "../limits.ts";
import type { ApiMetrics } from "../observe/api-metrics.ts";
import type { ApiLog } from "../observe/log.ts";
import type { SyncReport } from "../reconciler/report.ts";
import type { Caller, ChangeKind, ServiceContext } from "../services/context.ts";
import type { ChangeSignal } from "../services/get-agent-config.ts";
import type { Database } from "../storage/database.ts";

export interface AppDeps {
  readonly database: Database;
  readonly now: () => Date;
  /** SHA-256 hex of ADMIN_TOKEN, when set. */
  readonly adminTokenHash: string | undefined;
  /** Resolves when state may have changed: long polls wait on it. */
  readonly changeSignal: ChangeSignal;
  /** After a commit: notify waiters, schedule a reconcile. */
  readonly onChange: (kinds: readonly ChangeKind[]) => void;
  readonly reconcileNow: () => Promise<SyncReport>;
  /** Upper bound of ?wait= on GET /v1/agent/config, in seconds. */
  readonly maxWaitSeconds: number;
  /** How often agents report; a node silent for 3 intervals is down. */
  readonly agentReportIntervalSeconds: number;
  readonly logError: (error: unknown, requestId: string) => void;
  /** Body size, nodes per relay, node pruning; absent: DEFAULT_API_LIMITS. */
  readonly limits?: ApiLimits;
  /** POST /slack/events when the Slack bot is configured (src/bot/http/slack-events.ts). */
  readonly slackEvents?: (
    request: Request,
    waitUntil: (work: Promise<unknown>) => void,
  ) => Promise<unknown>;
  /** Access log lines (observe/access-log.ts). */
  readonly log: ApiLog;
  readonly metrics: ApiMetrics;
  /** Swagger UI's files for /docs, from the installed package (docs/docs-page.ts). */
  readonly loadSwaggerUi: LoadSwaggerUi;
}

export type AppEnv = {
  Variables: { requestId: string; caller: Caller; deps: AppDeps };
};
export type App = OpenAPIHono<AppEnv>;

export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const deps = c.get("deps");
  return {
    database: deps.database,
    caller: c.get("caller"),
    now: deps.now,
    changed: deps.onChange,
    ...(deps.limits ? { limits: deps.limits } : {}),
  };
}

const errorContent = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

export const errors = {
  400: errorContent("invalid input: `problems` names each field path"),
  413: errorContent("the body is larger than MAX_BODY_BYTES"),
  401: errorContent("missing, unknown or revoked token"),
  403: errorContent("the token's scope does not allow this"),
  404: errorContent("no such resource"),
  409: errorContent("conflicts with existing state; the message says why"),
  412: errorContent("If-Match does not match the current ETag"),
} as const;

export const bearer = [{ bearer: [] }];

export const IfMatchHeaders = z.object({
  "if-match": z
    .string()
    .optional()
    .describe('the ETag from the last GET (e.g. "3"); a mismatch answers 412'),
});
