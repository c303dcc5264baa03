// createApp(deps): the one Hono app both runtimes serve. Sets the validation hook, the error
// mapping, auth on /v1, OpenAPI 3.1 at /openapi.json and the docs UI at /docs. Entries
// (node.ts, worker.ts) only build deps.

import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import packageJson from "../../package.json" with { type: "json" };
import { zodProblems } from "../core/config/parse-relay-config.ts";
import { isRelayError } from "../core/errors.ts";
import { bodySizeLimit, jsonDepthLimit } from "./body-limits.ts";
import { errorBody, HTTP_STATUS } from "./http-errors.ts";
import { DEFAULT_API_LIMITS } from "./limits.ts";
import { observeRequests } from "./observe/access-log.ts";
import { registerDocs } from "./routes/docs.ts";
import { registerHealthz } from "./routes/healthz.ts";
import { registerMetrics } from "./routes/metrics.ts";
import type { AppDeps, AppEnv } from "./routes/shared.ts";
import { registerSlackEvents } from "./routes/slack-events.ts";
import { registerAgentConfig } from "./routes/v1-agent-config.ts";
import { registerAgentStatus } from "./routes/v1-agent-status.ts";
import { registerListAudit } from "./routes/v1-audit-list.ts";
import { registerCreateRelay } from "./routes/v1-relays-create.ts";
import { registerDeleteRelay } from "./routes/v1-relays-delete.ts";
import { registerGetRelay } from "./routes/v1-relays-get.ts";
import { registerListRelays } from "./routes/v1-relays-list.ts";
import { registerUpdateRelay } from "./routes/v1-relays-update.ts";
import { registerAddSplitDomain } from "./routes/v1-split-domains-add.ts";
import { registerGetSplitDomain } from "./routes/v1-split-domains-get.ts";
import { registerListSplitDomains } from "./routes/v1-split-domains-list.ts";
import { registerRemoveSplitDomain } from "./routes/v1-split-domains-remove.ts";
import { registerStatus } from "./routes/v1-status.ts";
import { registerSync } from "./routes/v1-sync.ts";
import { registerCreateToken } from "./routes/v1-tokens-create.ts";
import { registerListTokens } from "./routes/v1-tokens-list.ts";
import { registerRevokeToken } from "./routes/v1-tokens-revoke.ts";
import { authenticate } from "./services/authenticate.ts";

export type { AppDeps } from "./routes/shared.ts";

/**
 * Request ids: a random prefix per process (or isolate) and a counter: unique and cheap. The
 * prefix is drawn on first use: Workers forbid random values in global scope.
 */
let requestIdPrefix: string | undefined;
let requestCounter = 0;
function newRequestId(): string {
  requestIdPrefix ??= `req_${crypto.randomUUID().slice(0, 8)}`;
  requestCounter += 1;
  return `${requestIdPrefix}${requestCounter.toString(36).padStart(6, "0")}`;
}

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const problems = zodProblems(result.error);
      const where = result.target === "json" ? "" : `${result.target} `;
      return c.json(
        errorBody(
          "invalid_input",
          `invalid ${where}input: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ")}`,
          c.get("requestId"),
          problems,
        ),
        400,
      );
    },
  });

  app.use("*", observeRequests(deps));
  // One middleware for every request: deps, request id, and for /v1 the caller.
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : newRequestId();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    if (c.req.path.startsWith("/v1/")) {
      const caller = await authenticate({
        database: deps.database,
        now: deps.now,
        input: {
          authorization: c.req.header("authorization"),
          adminTokenHash: deps.adminTokenHash,
        },
      });
      c.set("caller", caller);
    }
    await next();
  });

  app.use("*", bodySizeLimit((deps.limits ?? DEFAULT_API_LIMITS).maxBodyBytes));
  app.use("*", jsonDepthLimit());

  app.onError((error, c) => {
    const requestId = c.get("requestId") ?? newRequestId();
    if (isRelayError(error)) {
      const status = HTTP_STATUS[error.code];
      if (error.code === "unauthenticated")
        c.header("WWW-Authenticate", 'Bearer realm="nat64-relay"');
      return c.json(errorBody(error.code, error.message, requestId, error.problems), status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const code = error.status === 404 ? "not_found" : "invalid_input";
      return c.json(errorBody(code, error.message || "bad request", requestId), HTTP_STATUS[code]);
    }
    deps.logError(error, requestId);
    return c.json(
      errorBody("internal", `internal error; the server log has request ${requestId}`, requestId),
      500,
    );
  });

  app.notFound((c) =>
    c.json(
      errorBody(
        "not_found",
        `no route ${c.req.method} ${c.req.path}`,
        c.get("requestId") ?? newRequestId(),
      ),
      404,
    ),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "API token (n64r_…): admin, operator, or an agent token of one relay",
  });

  registerHealthz(app);
  registerMetrics(app);
  registerCreateRelay(app);
  registerListRelays(app);
  registerGetRelay(app);
  registerUpdateRelay(app);
  registerDeleteRelay(app);
  registerAddSplitDomain(app);
  registerListSplitDomains(app);
  registerGetSplitDomain(app);
  registerRemoveSplitDomain(app);
  registerCreateToken(app);
  registerListTokens(app);
  registerRevokeToken(app);
  registerStatus(app);
  registerSync(app);
  registerListAudit(app);
  registerAgentConfig(app);
  registerAgentStatus(app);
  registerSlackEvents(app);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "nat64-relay control API",
      version: packageJson.version,
      description:
        "Relays, split domains, tokens and audit; agent config and status; Tailscale reconciliation.",
    },
  });
  registerDocs(app);
  return app;
}
