// One access-log line and one request count per request, whatever answered it (a route, the
// error mapping, not-found). Registered first, so it sees the final status.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppDeps, AppEnv } from "../routes/shared.ts";

export function observeRequests(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // The last matched route is the handler's; only the catch-all middleware means no route.
    const pattern = routePath(c, -1);
    const route = pattern && pattern !== "*" && pattern !== "/*" ? pattern : undefined;
    const status = c.res.status;
    deps.metrics.countRequest(c.req.method, route, status);
    deps.log.info(
      {
        event: "request",
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        route: route ?? null,
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      "request",
    );
  };
}
