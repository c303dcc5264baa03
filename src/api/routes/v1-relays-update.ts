// PATCH /v1/relays/{name}
import { createRoute, z } from "@hono/zod-openapi";
import { RelayView } from "../services/schemas.ts";
import { UpdateRelayChanges, updateRelay } from "../services/update-relay.ts";
import { type App, bearer, errors, IfMatchHeaders, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "patch",
  path: "/v1/relays/{name}",
  summary: "Change some settings of a relay",
  description:
    "Keys sent replace the stored ones; keys left out stay. Send If-Match with the ETag you read: a stale one answers 412 and changes nothing.",
  tags: ["relays"],
  security: bearer,
  request: {
    params: z.object({ name: z.string().min(1) }),
    headers: IfMatchHeaders,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: UpdateRelayChanges,
          example: { upstreams: ["100.100.100.100", "1.1.1.1"] },
        },
      },
    },
  },
  responses: {
    200: {
      description: "the updated relay",
      content: { "application/json": { schema: RelayView } },
    },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
    412: errors[412],
  },
});

export function registerUpdateRelay(app: App): void {
  app.openapi(route, async (c) => {
    const relay = await updateRelay({
      ctx: serviceContext(c),
      input: {
        name: c.req.valid("param").name,
        ifMatch: c.req.valid("header")["if-match"],
        changes: c.req.valid("json"),
      },
    });
    c.header("ETag", relay.etag);
    return c.json(relay, 200);
  });
}
