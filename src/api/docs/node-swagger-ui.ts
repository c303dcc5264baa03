// Swagger UI's files on Node: read from the installed swagger-ui-dist package.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { LoadSwaggerUi, SwaggerUiFiles } from "./docs-page.ts";

let loaded: Promise<SwaggerUiFiles> | undefined;

export const loadNodeSwaggerUi: LoadSwaggerUi = () => {
  loaded ??= (async () => {
    const dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
    const [css, bundle] = await Promise.all([
      readFile(join(dir, "swagger-ui.css"), "utf8"),
      readFile(join(dir, "swagger-ui-bundle.js"), "utf8"),
    ]);
    return { css, bundle };
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
};
