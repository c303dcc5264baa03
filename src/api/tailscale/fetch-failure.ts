// Why a fetch() to the Tailscale API threw, in words an operator can act on. undici (Node) throws
// TypeError("fetch failed") with the socket error as `cause` (sometimes an AggregateError, one
// per address tried); an AbortSignal timeout rejects with a TimeoutError; Workers throw plain
// errors. Pure.

/** What went wrong, as logged and reported: the cause class a fix depends on. */
export type FetchFailureCause =
  | "ECONNREFUSED"
  | "DNS"
  | "TLS"
  | "timeout"
  | "unreachable"
  | "network";

export interface FetchFailure {
  readonly cause: FetchFailureCause;
  /** The underlying code or message, e.g. "ECONNREFUSED 127.0.0.1:9", "ENOTFOUND api.example". */
  readonly detail: string;
  /**
   * Worth another attempt: only failures after a connection was made (reset, closed socket).
   * A refused connection, an unknown name, a bad certificate or a timeout will not change in
   * the seconds a retry waits, so they fail at once instead of stretching a request to ~30 s.
   */
  readonly retryable: boolean;
}

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
}

const asErrorLike = (value: unknown): ErrorLike | undefined =>
  value !== null && typeof value === "object" ? (value as ErrorLike) : undefined;

/** The innermost error that carries a code: the socket's, not fetch's wrapper. */
function rootOf(error: unknown): ErrorLike | undefined {
  let current = asErrorLike(error);
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === "string") return current;
    const next =
      asErrorLike(current.cause) ??
      (Array.isArray(current.errors) ? asErrorLike(current.errors[0]) : undefined);
    if (!next) return current;
    current = next;
  }
  return current;
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"]);
const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT", "UND_ERR_HEADERS_TIMEOUT"]);

function isTlsCode(code: string): boolean {
  return (
    code.startsWith("ERR_TLS_") ||
    code.startsWith("ERR_SSL_") ||
    code.includes("CERT") ||
    code.startsWith("UNABLE_TO_") ||
    code === "EPROTO"
  );
}

function causeOf(code: string | undefined, name: string | undefined): FetchFailureCause {
  if (name === "TimeoutError" || (code && TIMEOUT_CODES.has(code))) return "timeout";
  if (!code) return "network";
  if (code === "ECONNREFUSED") return "ECONNREFUSED";
  if (DNS_CODES.has(code)) return "DNS";
  if (UNREACHABLE_CODES.has(code)) return "unreachable";
  if (isTlsCode(code)) return "TLS";
  return "network";
}

export function describeFetchFailure(error: unknown): FetchFailure {
  const root = rootOf(error);
  const code = typeof root?.code === "string" ? root.code : undefined;
  const name = typeof root?.name === "string" ? root.name : undefined;
  const cause = causeOf(code, name);
  const where =
    typeof root?.address === "string"
      ? ` ${root.address}${typeof root.port === "number" ? `:${root.port}` : ""}`
      : typeof root?.hostname === "string"
        ? ` ${root.hostname}`
        : "";
  const message = typeof root?.message === "string" && root.message ? root.message : String(error);
  const detail = code ? `${code}${where}` : message;
  return { cause, detail, retryable: cause === "network" };
}
