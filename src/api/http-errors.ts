// The one mapping of core error codes to HTTP, and the one error body:
// {error: {code, message, requestId, problems?}}.
import { z } from "zod";
import { ERROR_CODES, type ErrorCode, type Problem } from "../core/errors.ts";

export const HTTP_STATUS = {
  invalid_input: 400,
  payload_too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  rate_limited: 429,
  upstream_unavailable: 502,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

export type ErrorStatus = (typeof HTTP_STATUS)[ErrorCode];

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    requestId: z.string(),
    problems: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe("one entry per offending field, path dotted (upstreams.0)"),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function errorBody(
  code: ErrorCode,
  message: string,
  requestId: string,
  problems: readonly Problem[] = [],
): ErrorBody {
  return {
    error: { code, message, requestId, ...(problems.length ? { problems: [...problems] } : {}) },
  };
}
