// POST /v1/tokens
import { createRoute } from "@hono/zod-openapi";
import { CreateTokenInput, CreateTokenOutput, createToken } from "../services/create-token.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "post",
  path: "/v1/tokens",
  summary: "Create an API token (admin)",
  description: "The secret is in this answer only; the server keeps its SHA-256.",
  tags: ["tokens"],
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: CreateTokenInput,
          example: { name: "ci-deploy", scope: "operator" },
        },
      },
    },
  },
  responses: {
    201: { description: "created", content: { "application/json": { schema: CreateTokenOutput } } },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

export function registerCreateToken(app: App): void {
  app.openapi(route, async (c) =>
    c.json(await createToken({ ctx: serviceContext(c), input: c.req.valid("json") }), 201),
  );
}
