// GET /docs and GET /docs/{asset}: the interactive API reference, every file from this server.
import packageJson from "../../../package.json" with { type: "json" };
import { DOCS_CSP, DOCS_PATH, docsAsset, docsHtml, isDocsAssetName } from "../docs/docs-page.ts";
import type { App } from "./shared.ts";

export function registerDocs(app: App): void {
  app.get(DOCS_PATH, (c) => {
    c.header("content-security-policy", DOCS_CSP);
    return c.html(docsHtml(`nat64-relay control API ${packageJson.version}`));
  });
  app.get(`${DOCS_PATH}/:asset`, async (c, next) => {
    const name = c.req.param("asset");
    if (!isDocsAssetName(name)) return next();
    const { body, contentType } = docsAsset(await c.get("deps").loadSwaggerUi(), name);
    return c.body(body, 200, {
      "content-type": contentType,
      // The files change only with the package version, which is in the page's title.
      "cache-control": "public, max-age=3600",
    });
  });
}
