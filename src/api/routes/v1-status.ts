// GET /v1/status
import { createRoute } from "@hono/zod-openapi";
import { getStatus, StatusOutput } from "../services/get-status.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/status",
  summary: "Relays, their nodes, and Tailscale sync state and drift",
  description:
    "tailscale.mode is apply (credentials configured) or plan (none: tailscale.steps lists the admin-console steps).",
  tags: ["status"],
  security: bearer,
  responses: {
    200: { description: "status", content: { "application/json": { schema: StatusOutput } } },
    401: errors[401],
    403: errors[403],
  },
});

export function registerStatus(app: App): void {
  app.openapi(route, async (c) =>
    c.json(
      await getStatus({
        ctx: serviceContext(c),
        reportIntervalSeconds: c.get("deps").agentReportIntervalSeconds,
      }),
      200,
    ),
  );
}
