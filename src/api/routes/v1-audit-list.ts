// GET /v1/audit
import { createRoute, z } from "@hono/zod-openapi";
import { AuditRecordView, ListAuditInput, listAudit } from "../services/list-audit.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/audit",
  summary: "Audit log, newest first (admin)",
  tags: ["audit"],
  security: bearer,
  request: { query: ListAuditInput },
  responses: {
    200: {
      description: "audit records",
      content: { "application/json": { schema: z.object({ records: z.array(AuditRecordView) }) } },
    },
    400: errors[400],
    401: errors[401],
    403: errors[403],
  },
});

export function registerListAudit(app: App): void {
  app.openapi(route, async (c) =>
    c.json(
      { records: await listAudit({ ctx: serviceContext(c), input: c.req.valid("query") }) },
      200,
    ),
  );
}
