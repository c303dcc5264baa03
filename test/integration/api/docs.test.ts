// /docs works offline: the page names only this server's own files, which it serves from the
// installed swagger-ui-dist package.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiHarness } from "./harness.ts";
import { nodeHarness } from "./node-harness.ts";

let harness: ApiHarness;
beforeAll(async () => {
  harness = await nodeHarness();
});
afterAll(() => harness.close());

const swaggerUiDist = dirname(
  createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"),
);

describe("GET /docs", () => {
  it("is a page that loads nothing from another origin and forbids inline and foreign scripts", async () => {
    const page = await harness.request("GET", "/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(references).toEqual([
      "/docs/swagger-ui.css",
      "/docs/swagger-ui-bundle.js",
      "/docs/init.js",
    ]);
  });

  it("serves each file the page names, the large ones byte for byte from swagger-ui-dist", async () => {
    const css = await harness.request("GET", "/docs/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toBe(await readFile(join(swaggerUiDist, "swagger-ui.css"), "utf8"));

    const bundle = await harness.request("GET", "/docs/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await bundle.text()).toBe(
      await readFile(join(swaggerUiDist, "swagger-ui-bundle.js"), "utf8"),
    );

    const init = await harness.request("GET", "/docs/init.js");
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('url: "/openapi.json"');
  });

  it("answers 404 for any other file under /docs", async () => {
    const other = await harness.request("GET", "/docs/..%2Fpackage.json");
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await harness.request("GET", "/docs/index.html")).status).toBe(404);
  });
});

describe("the Workers bundle", () => {
  it("carries Swagger UI's files as text modules (wrangler.toml [[rules]]), not as code", async () => {
    const outdir = await mkdtemp(join(tmpdir(), "nat64-relay-worker-bundle-"));
    try {
      await promisify(execFile)(
        process.execPath,
        [
          fileURLToPath(new URL("../../../node_modules/wrangler/bin/wrangler.js", import.meta.url)),
          "deploy",
          "--dry-run",
          "--outdir",
          outdir,
        ],
        {
          cwd: fileURLToPath(new URL("../../..", import.meta.url)),
          env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const files = await readdir(outdir);
      for (const name of ["swagger-ui.css", "swagger-ui-bundle.js"]) {
        const module = files.find((file) => file.endsWith(`-${name}`));
        expect(module, `${name} as its own module in ${files.join(", ")}`).toBeDefined();
        expect(await readFile(join(outdir, module ?? ""), "utf8")).toBe(
          await readFile(join(swaggerUiDist, name), "utf8"),
        );
      }
      expect(files).not.toContain("worker.css");
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
