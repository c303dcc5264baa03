// The bot suite's workerd harness: the Workers entry itself (worker.fetch with D1 and the Slack
// keys as bindings), background work collected from ctx.waitUntil, and Slack and Tailscale as
// in-isolate fakes behind a fetch stub (hosts slack.test and tailscale.test; nothing leaves).
import { env } from "cloudflare:workers";
import worker from "../../src/api/worker.ts";
import { FakeSlackApi } from "../fakes/slack-api.ts";
import { FakeTailscaleApi } from "../fakes/tailscale-api.ts";
import {
  ADMIN_TOKEN,
  type BotHarness,
  Gate,
  SLACK_SETTINGS,
} from "../integration/bot/bot-suite.ts";
import { prepareD1 } from "./d1-harness.ts";

export async function workerBotHarness(): Promise<BotHarness> {
  await prepareD1();
  const slack = new FakeSlackApi();
  const tailscale = new FakeTailscaleApi();
  const gate = new Gate();
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === "slack.test") return slack.fetch(input, init);
    if (url.hostname === "tailscale.test")
      return gate.pass().then(() => tailscale.fetch(input, init));
    throw new Error(`test fetch stub: no route to ${url.origin}`);
  }) as typeof fetch;
  const bindings = {
    DB: env.DB as never,
    ADMIN_TOKEN,
    TAILSCALE_API_KEY: "tskey-api-test",
    TAILSCALE_API_BASE_URL: "http://tailscale.test",
    ...SLACK_SETTINGS,
    SLACK_API_URL: "http://slack.test/api/",
  };
  const waits: Promise<unknown>[] = [];
  const ctx = { waitUntil: (work: Promise<unknown>) => void waits.push(work) };
  const send = (request: Request) => worker.fetch(request, bindings, ctx);
  return {
    slack,
    tailscale,
    responseUrl: (id) => `http://slack.test/response/${id}`,
    postSlack: (body, headers) =>
      send(new Request("http://api.test/slack/events", { method: "POST", headers, body })),
    api: (method, path, body, token = ADMIN_TOKEN) =>
      send(
        new Request(`http://api.test${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      ),
    async settle() {
      // A turn for the background work, without waiting on work a test holds back.
      await Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(resolve, 20))]);
    },
    holdTailscale: () => gate.hold(),
    async close() {
      await Promise.allSettled(waits);
      globalThis.fetch = realFetch;
    },
  };
}
