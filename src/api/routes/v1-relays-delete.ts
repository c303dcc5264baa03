// DELETE /v1/relays/{name}
import { createRoute, z } from "@hono/zod-openapi";
import { deleteRelay } from "../services/delete-relay.ts";
import { type App, bearer, errors, IfMatchHeaders, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/relays/{name}",
  summary: "Delete a relay",
  description:
    "Refused with 409 while split domains still use the relay. Its agent tokens go with it.",
  tags: ["relays"],
  security: bearer,
  request: { params: z.object({ name: z.string().min(1) }), headers: IfMatchHeaders },
  responses: {
    204: { description: "deleted" },
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
    412: errors[412],
  },
});

export function registerDeleteRelay(app: App): void {
  app.openapi(route, async (c) => {
    await deleteRelay({
      ctx: serviceContext(c),
      input: { name: c.req.valid("param").name, ifMatch: c.req.valid("header")["if-match"] },
    });
    return c.body(null, 204);
  });
}
