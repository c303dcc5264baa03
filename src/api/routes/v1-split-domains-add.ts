// POST /v1/split-domains
import { createRoute } from "@hono/zod-openapi";
import {
  AddSplitDomainInput,
  AddSplitDomainOutput,
  addSplitDomain,
} from "../services/add-split-domain.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "post",
  path: "/v1/split-domains",
  summary: "Add a split domain",
  description:
    "host.<name> is answered from host.<realSuffix> through the relay. Overlaps with existing split domains answer 409 with the reason; accepted-but-risky names (an all-digit last label) come back with warnings.",
  tags: ["split domains"],
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: AddSplitDomainInput,
          example: { name: "r9929", realSuffix: "tail1234.ts.net", relay: "edge-fra" },
        },
      },
    },
  },
  responses: {
    201: {
      description: "added",
      content: { "application/json": { schema: AddSplitDomainOutput } },
    },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
  },
});

export function registerAddSplitDomain(app: App): void {
  app.openapi(route, async (c) => {
    const result = await addSplitDomain({ ctx: serviceContext(c), input: c.req.valid("json") });
    c.header("ETag", result.splitDomain.etag);
    c.header("Location", `/v1/split-domains/${result.splitDomain.name}`);
    return c.json(result, 201);
  });
}
