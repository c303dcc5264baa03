// GET /v1/relays
import { createRoute, z } from "@hono/zod-openapi";
import { listRelays } from "../services/list-relays.ts";
import { RelayView } from "../services/schemas.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/relays",
  summary: "List relays",
  tags: ["relays"],
  security: bearer,
  responses: {
    200: {
      description: "every relay by name",
      content: { "application/json": { schema: z.object({ relays: z.array(RelayView) }) } },
    },
    401: errors[401],
    403: errors[403],
  },
});

export function registerListRelays(app: App): void {
  app.openapi(route, async (c) =>
    c.json({ relays: await listRelays({ ctx: serviceContext(c) }) }, 200),
  );
}
