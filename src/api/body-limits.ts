// Request-body bounds for both runtimes, before any route reads the body: a size limit
// (hono/body-limit counts the stream when there is no Content-Length) and a nesting limit on
// JSON, checked by a scan of the text so a body nested 100k deep never reaches JSON.parse.
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { RelayError } from "../core/errors.ts";
import { jsonTextDepth } from "../core/validation/json-bounds.ts";
import { MAX_JSON_DEPTH } from "./limits.ts";
import type { AppEnv } from "./routes/shared.ts";

export function bodySizeLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new RelayError(
        "payload_too_large",
        `the request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES)`,
      );
    },
  });
}

export function jsonDepthLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (c.req.raw.body && /\bjson\b/i.test(type)) {
      // Hono caches the text: the route's validator parses the same string.
      const depth = jsonTextDepth(await c.req.text());
      if (depth > MAX_JSON_DEPTH) {
        throw new RelayError(
          "invalid_input",
          `the JSON body is nested ${depth} levels deep; the limit is ${MAX_JSON_DEPTH}`,
        );
      }
    }
    await next();
  };
}
