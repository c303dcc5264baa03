// GET /healthz: the process serves and its database answers.
import { createRoute, z } from "@hono/zod-openapi";
import { readStateVersion } from "../storage/mutation.ts";
import type { App } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness and database check",
  tags: ["meta"],
  responses: {
    200: {
      description: "healthy",
      content: {
        "application/json": { schema: z.object({ ok: z.literal(true), stateVersion: z.number() }) },
      },
    },
  },
});

export function registerHealthz(app: App): void {
  app.openapi(route, async (c) => {
    const stateVersion = await readStateVersion(c.get("deps").database);
    return c.json({ ok: true as const, stateVersion }, 200);
  });
}
