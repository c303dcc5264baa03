// GET /v1/split-domains/{name}
import { createRoute, z } from "@hono/zod-openapi";
import { getSplitDomain } from "../services/get-split-domain.ts";
import { SplitDomainView } from "../services/split-domain-view.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/split-domains/{name}",
  summary: "Get a split domain",
  tags: ["split domains"],
  security: bearer,
  request: { params: z.object({ name: z.string().min(1) }) },
  responses: {
    200: {
      description: "the split domain",
      content: { "application/json": { schema: SplitDomainView } },
    },
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

export function registerGetSplitDomain(app: App): void {
  app.openapi(route, async (c) => {
    const domain = await getSplitDomain({ ctx: serviceContext(c), input: c.req.valid("param") });
    c.header("ETag", domain.etag);
    return c.json(domain, 200);
  });
}
