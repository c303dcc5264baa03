// The one closed set of error codes. Each transport (HTTP, Slack, CLI) maps it once.

export const ERROR_CODES = [
  "invalid_input", // the caller sent something malformed; the message says which field and why
  "payload_too_large", // the request body is over the configured size limit
  "unauthenticated", // no or unknown credentials
  "forbidden", // credentials valid, scope too small
  "not_found",
  "conflict", // overlaps or duplicates existing state
  "precondition_failed", // If-Match / revision mismatch
  "rate_limited",
  "upstream_unavailable", // Tailscale API, upstream DNS, host tool failed
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface Problem {
  /** Dotted path of the offending field ("splitDomains.0.name"), "" for the whole input. */
  readonly path: string;
  readonly message: string;
}

export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, problems: readonly Problem[] = []) {
    super(message);
    this.name = "RelayError";
    this.code = code;
    this.problems = problems;
  }
}

export function isRelayError(error: unknown): error is RelayError {
  return error instanceof RelayError;
}

/** Formats problems one per line as "path: message" for CLIs and logs. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("\n");
}
