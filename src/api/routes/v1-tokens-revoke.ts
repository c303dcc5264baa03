// DELETE /v1/tokens/{id}
import { createRoute, z } from "@hono/zod-openapi";
import { revokeToken } from "../services/revoke-token.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "delete",
  path: "/v1/tokens/{id}",
  summary: "Revoke an API token (admin)",
  tags: ["tokens"],
  security: bearer,
  request: { params: z.object({ id: z.string().min(1) }) },
  responses: {
    204: { description: "revoked (or already was)" },
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

export function registerRevokeToken(app: App): void {
  app.openapi(route, async (c) => {
    await revokeToken({ ctx: serviceContext(c), input: c.req.valid("param") });
    return c.body(null, 204);
  });
}
