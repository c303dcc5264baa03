// POST /v1/relays
import { createRoute } from "@hono/zod-openapi";
import { CreateRelayInput, CreateRelayOutput, createRelay } from "../services/create-relay.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "post",
  path: "/v1/relays",
  summary: "Create a relay",
  description:
    "Body: the relay name and any key of the standalone agent config file except splitDomains. Answers the relay and its agent token (shown once). Without prefix, a unique-local /96 is generated.",
  tags: ["relays"],
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: CreateRelayInput,
          example: {
            name: "edge-fra",
            prefix: "fd4e:2a91:7c3d:6464::/96",
            upstreams: ["100.100.100.100"],
          },
        },
      },
    },
  },
  responses: {
    201: { description: "created", content: { "application/json": { schema: CreateRelayOutput } } },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    409: errors[409],
  },
});

export function registerCreateRelay(app: App): void {
  app.openapi(route, async (c) => {
    const result = await createRelay({ ctx: serviceContext(c), input: c.req.valid("json") });
    c.header("ETag", result.relay.etag);
    c.header("Location", `/v1/relays/${result.relay.name}`);
    return c.json(result, 201);
  });
}
