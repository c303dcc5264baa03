// GET /v1/split-domains
import { createRoute, z } from "@hono/zod-openapi";
import { listSplitDomains } from "../services/list-split-domains.ts";
import { SplitDomainView } from "../services/split-domain-view.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/split-domains",
  summary: "List split domains",
  tags: ["split domains"],
  security: bearer,
  responses: {
    200: {
      description: "every split domain by name",
      content: {
        "application/json": { schema: z.object({ splitDomains: z.array(SplitDomainView) }) },
      },
    },
    401: errors[401],
    403: errors[403],
  },
});

export function registerListSplitDomains(app: App): void {
  app.openapi(route, async (c) =>
    c.json({ splitDomains: await listSplitDomains({ ctx: serviceContext(c) }) }, 200),
  );
}
