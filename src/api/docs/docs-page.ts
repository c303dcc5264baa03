// GET /docs: Swagger UI from assets this server serves itself (swagger-ui-dist, the version
// pinned in package.json), never from a CDN: admins paste bearer tokens into this page, so it
// must not run code fetched from elsewhere, and it must work offline. The init script is a file
// of its own, so the page's Content-Security-Policy can forbid inline scripts. Pure.

export const DOCS_PATH = "/docs";

/** The files /docs/<name> serves; the two large ones come from swagger-ui-dist. */
export type DocsAssetName = "swagger-ui.css" | "swagger-ui-bundle.js" | "init.js";

export interface SwaggerUiFiles {
  readonly css: string;
  readonly bundle: string;
}

/** Loaded once per process or isolate, when /docs is first asked for. */
export type LoadSwaggerUi = () => Promise<SwaggerUiFiles>;

/** Only this origin: scripts, styles, the spec and "Try it out" requests. */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/init.js"></script>
</body>
</html>
`;
}

const INIT_SCRIPT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n`;

const CONTENT_TYPES: Record<DocsAssetName, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "init.js": "text/javascript; charset=utf-8",
};

export function isDocsAssetName(name: string): name is DocsAssetName {
  return Object.hasOwn(CONTENT_TYPES, name);
}

export function docsAsset(
  files: SwaggerUiFiles,
  name: DocsAssetName,
): { body: string; contentType: string } {
  const body =
    name === "swagger-ui.css"
      ? files.css
      : name === "swagger-ui-bundle.js"
        ? files.bundle
        : INIT_SCRIPT;
  return { body, contentType: CONTENT_TYPES[name] };
}
