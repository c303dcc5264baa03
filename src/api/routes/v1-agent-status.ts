// POST /v1/agent/status
import { createRoute } from "@hono/zod-openapi";
import {
  ReportAgentStatusInput,
  ReportAgentStatusOutput,
  reportAgentStatus,
} from "../services/report-agent-status.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "post",
  path: "/v1/agent/status",
  summary: "Report a relay node's identity and applied revision (agent token)",
  tags: ["agent"],
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: ReportAgentStatusInput,
          example: {
            nodeId: "nXyZ12CNTRL",
            hostname: "edge-fra-1",
            addresses: ["100.101.102.103", "fd7a:115c:a1e0::1234"],
            appliedRevision: 7,
            doctor: { ok: true },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: "recorded",
      content: { "application/json": { schema: ReportAgentStatusOutput } },
    },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

export function registerAgentStatus(app: App): void {
  app.openapi(route, async (c) =>
    c.json(
      await reportAgentStatus({
        ctx: serviceContext(c),
        input: c.req.valid("json"),
        reportIntervalSeconds: c.get("deps").agentReportIntervalSeconds,
      }),
      200,
    ),
  );
}
