// GET /metrics: Prometheus text exposition. No token, like /healthz: counts only, no names.
import { createRoute, z } from "@hono/zod-openapi";
import { countRelayNodes } from "../services/count-relay-nodes.ts";
import type { App } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics: requests, sync runs and failures by cause, relay nodes up/down",
  tags: ["meta"],
  responses: {
    200: {
      description: "text exposition format 0.0.4",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

export function registerMetrics(app: App): void {
  app.openapi(route, async (c) => {
    const deps = c.get("deps");
    const nodes = await countRelayNodes({
      ctx: { database: deps.database, now: deps.now },
      input: { reportIntervalSeconds: deps.agentReportIntervalSeconds },
    });
    return c.text(deps.metrics.render(nodes), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
}
