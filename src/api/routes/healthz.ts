// GET /healthz: the process serves and its database answers.
import { createRoute } from "@hono/zod-openapi";
import { checkHealth, HealthOutput } from "../services/check-health.ts";
import type { App } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness and database check",
  tags: ["meta"],
  responses: {
    200: { description: "healthy", content: { "application/json": { schema: HealthOutput } } },
  },
});

export function registerHealthz(app: App): void {
  app.openapi(route, async (c) => {
    // No token on this route: the context carries only the database.
    const health = await checkHealth({ ctx: { database: c.get("deps").database } });
    return c.json({ ok: true as const, stateVersion: health.stateVersion }, 200);
  });
}
