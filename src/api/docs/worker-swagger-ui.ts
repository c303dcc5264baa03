// Swagger UI's files on Workers: bundled into the worker as text modules (the [[rules]] Text
// entry in wrangler.toml), since a worker has no file system.
import css from "swagger-ui-dist/swagger-ui.css";
import bundle from "swagger-ui-dist/swagger-ui-bundle.js";
import type { LoadSwaggerUi } from "./docs-page.ts";

export const loadWorkerSwaggerUi: LoadSwaggerUi = async () => ({ css, bundle });
