// DELETE /v1/split-domains/{name}
import { createRoute, z } from "@hono/zod-openapi";
import { removeSplitDomain } from "../services/remove-split-domain.ts";
import { type App, bearer, errors, IfMatchHeaders, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/split-domains/{name}",
  summary: "Remove a split domain",
  description:
    "The relay stops answering for it and the reconciler removes its split DNS entry (PATCH null).",
  tags: ["split domains"],
  security: bearer,
  request: { params: z.object({ name: z.string().min(1) }), headers: IfMatchHeaders },
  responses: {
    204: { description: "removed" },
    401: errors[401],
    403: errors[403],
    404: errors[404],
    412: errors[412],
  },
});

export function registerRemoveSplitDomain(app: App): void {
  app.openapi(route, async (c) => {
    await removeSplitDomain({
      ctx: serviceContext(c),
      input: { name: c.req.valid("param").name, ifMatch: c.req.valid("header")["if-match"] },
    });
    return c.body(null, 204);
  });
}
