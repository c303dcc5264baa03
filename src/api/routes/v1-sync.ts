// POST /v1/sync
import { createRoute } from "@hono/zod-openapi";
import { SyncReport } from "../reconciler/report.ts";
import { syncNow } from "../services/sync-now.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "post",
  path: "/v1/sync",
  summary: "Reconcile Tailscale now",
  tags: ["status"],
  security: bearer,
  responses: {
    200: {
      description: "the reconciliation report",
      content: { "application/json": { schema: SyncReport } },
    },
    401: errors[401],
    403: errors[403],
  },
});

export function registerSync(app: App): void {
  app.openapi(route, async (c) =>
    c.json(await syncNow({ ctx: serviceContext(c), reconcile: c.get("deps").reconcileNow }), 200),
  );
}
