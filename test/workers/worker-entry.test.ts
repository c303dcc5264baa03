// The Workers entry itself (src/api/worker.ts) inside workerd with D1: env validation,
// bootstrap, reconcile after a change via waitUntil, and the cron handler.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/api/worker.ts";
import { prepareD1 } from "./d1-harness.ts";

const ADMIN = "an-admin-token-for-tests";

function context() {
  const waits: Promise<unknown>[] = [];
  return { waits, ctx: { waitUntil: (promise: Promise<unknown>) => void waits.push(promise) } };
}

describe("Workers entry", () => {
  beforeEach(async () => {
    await prepareD1();
  });

  it("serves /docs and Swagger UI's files from the worker bundle itself", async () => {
    const bindings = { DB: env.DB as never, ADMIN_TOKEN: ADMIN };
    const { ctx } = context();
    const page = await worker.fetch(new Request("http://api.test/docs"), bindings, ctx);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
    const bundle = await worker.fetch(
      new Request("http://api.test/docs/swagger-ui-bundle.js"),
      bindings,
      ctx,
    );
    expect(bundle.status).toBe(200);
    const text = await bundle.text();
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text).toContain("SwaggerUIBundle");
    const css = await worker.fetch(
      new Request("http://api.test/docs/swagger-ui.css"),
      bindings,
      ctx,
    );
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain(".swagger-ui");
  });

  it("serves /healthz and the API with ADMIN_TOKEN, reconciling after a change in waitUntil", async () => {
    const bindings = { DB: env.DB as never, ADMIN_TOKEN: ADMIN };
    const { waits, ctx } = context();
    const health = await worker.fetch(new Request("http://api.test/healthz"), bindings, ctx);
    expect(health.status).toBe(200);
    const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
    const created = await worker.fetch(
      new Request("http://api.test/v1/relays", {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "edge" }),
      }),
      bindings,
      ctx,
    );
    expect(created.status).toBe(201);
    expect(waits).toHaveLength(1);
    await Promise.all(waits);
    const status = (await (
      await worker.fetch(new Request("http://api.test/v1/status", { headers }), bindings, ctx)
    ).json()) as { tailscale: { mode: string } | null };
    expect(status.tailscale?.mode).toBe("plan");
  });

  it("runs the reconciler from the cron trigger", async () => {
    const bindings = { DB: env.DB as never, ADMIN_TOKEN: ADMIN };
    const { waits, ctx } = context();
    await worker.scheduled({}, bindings, ctx);
    expect(waits).toHaveLength(1);
    await Promise.all(waits);
    const status = (await (
      await worker.fetch(
        new Request("http://api.test/v1/status", { headers: { authorization: `Bearer ${ADMIN}` } }),
        bindings,
        ctx,
      )
    ).json()) as { tailscale: { mode: string; ok: boolean } | null };
    expect(status.tailscale).toMatchObject({ mode: "plan", ok: true });
  });

  it("answers 500 naming the bad variable when the configuration is invalid", async () => {
    const bindings = { DB: env.DB as never, AGENT_POLL_INTERVAL_MS: "1" };
    const response = await worker.fetch(
      new Request("http://api.test/healthz"),
      bindings,
      context().ctx,
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "AGENT_POLL_INTERVAL_MS",
    );
  });
});
