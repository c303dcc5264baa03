// GET /v1/agent/config
import { createRoute, z } from "@hono/zod-openapi";
import {
  AgentConfigOutput,
  agentConfigRevision,
  getAgentConfig,
  waitForAgentConfigChange,
} from "../services/get-agent-config.ts";
import { parseInput } from "../services/parse.ts";
import { etagOf } from "../services/schemas.ts";
import { type App, bearer, errors, serviceContext } from "./shared.ts";

const route = createRoute({
  method: "get",
  path: "/v1/agent/config",
  summary: "The calling agent's relay config (agent token)",
  description:
    "Answers {revision, config}; config parses as the standalone config file. ETag is the revision: send it as If-None-Match to get 304 while nothing changed. With ?wait=30 and a matching If-None-Match the request waits up to 30 s and answers as soon as the revision changes.",
  tags: ["agent"],
  security: bearer,
  request: {
    query: z.object({
      wait: z.coerce
        .number()
        .int()
        .min(0)
        .max(300)
        .optional()
        .describe("seconds to wait for a change when If-None-Match matches"),
    }),
    headers: z.object({ "if-none-match": z.string().optional() }),
  },
  responses: {
    200: {
      description: "the config",
      content: { "application/json": { schema: AgentConfigOutput } },
    },
    304: { description: "unchanged since If-None-Match" },
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

/** The revision named by If-None-Match ("7" or W/"7"), if it names one. */
function knownRevision(header: string | undefined): number | undefined {
  const match = /^(?:W\/)?"(\d+)"$/.exec(header?.trim() ?? "");
  return match ? Number(match[1]) : undefined;
}

const WaitQuery = route.request.query;

/**
 * The hot path of every long-polling agent: registered in the OpenAPI document as declared
 * above, but served by a plain handler that reads the two headers itself instead of running
 * the generic header/query validators on each of thousands of 304s.
 */
export function registerAgentConfig(app: App): void {
  app.openAPIRegistry.registerPath(route);
  app.get(route.path, async (c) => {
    const ctx = serviceContext(c);
    const deps = c.get("deps");
    const known = knownRevision(c.req.header("if-none-match"));
    if (known !== undefined) {
      const waitParam = c.req.query("wait");
      const wait =
        waitParam === undefined ? 0 : (parseInput(WaitQuery, { wait: waitParam }).wait ?? 0);
      const waitSeconds = Math.min(wait, deps.maxWaitSeconds);
      const revision =
        waitSeconds > 0
          ? await waitForAgentConfigChange({
              ctx,
              input: { knownRevision: known, waitMs: waitSeconds * 1000 },
              signal: deps.changeSignal,
            })
          : await agentConfigRevision({ ctx });
      if (revision === known) {
        c.header("ETag", etagOf(revision));
        return c.body(null, 304);
      }
    }
    const result = await getAgentConfig({ ctx });
    c.header("ETag", etagOf(result.revision));
    c.header("Cache-Control", "no-cache");
    return c.json(result, 200);
  });
}
