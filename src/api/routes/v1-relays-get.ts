// GET /v1/relays/{name}
import { createRoute, z } from "@hono/zod-openapi";
import { getRelay } from "../services/get-relay.ts";
import { RelayView } from "../services/schemas.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/relays/{name}",
  summary: "Get a relay",
  tags: ["relays"],
  security: bearer,
  request: { params: z.object({ name: z.string().min(1) }) },
  responses: {
    200: {
      description: "the relay; ETag header for If-Match",
      content: { "application/json": { schema: RelayView } },
    },
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

export function registerGetRelay(app: App): void {
  app.openapi(route, async (c) => {
    const relay = await getRelay({ ctx: serviceContext(c), input: c.req.valid("param") });
    c.header("ETag", relay.etag);
    return c.json(relay, 200);
  });
}
