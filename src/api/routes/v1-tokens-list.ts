// GET /v1/tokens
import { createRoute, z } from "@hono/zod-openapi";
import { listTokens } from "../services/list-tokens.ts";
import { TokenView } from "../services/token-view.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/tokens",
  summary: "List API tokens (admin), never their secrets",
  tags: ["tokens"],
  security: bearer,
  responses: {
    200: {
      description: "every token, revoked ones included",
      content: { "application/json": { schema: z.object({ tokens: z.array(TokenView) }) } },
    },
    401: errors[401],
    403: errors[403],
  },
});

export function registerListTokens(app: App): void {
  app.openapi(route, async (c) =>
    c.json({ tokens: await listTokens({ ctx: serviceContext(c) }) }, 200),
  );
}
