// The agent's side of the two agent endpoints of the control API: GET /v1/agent/config (long
// poll with If-None-Match) and POST /v1/agent/status. One small interface, one HTTP
// implementation over an injected fetch; the loops that use it live in config-source/api-source.ts
// and managed/status-reporter.ts.
import { z } from "zod";

/** The API refused the token (401) or its scope (403): polling again will not fix that. */
export interface Denied {
  readonly kind: "denied";
  readonly status: 401 | 403;
  readonly message: string;
}

export type ConfigAnswer =
  | {
      readonly kind: "config";
      readonly revision: number;
      readonly config: Record<string, unknown>;
    }
  | { readonly kind: "unchanged"; readonly revision: number }
  | Denied;

export interface StatusAnswer {
  readonly kind: "recorded";
  readonly currentRevision: number;
  readonly upToDate: boolean;
  /** How often the API wants reports (s), when it says. */
  readonly reportIntervalSeconds: number | undefined;
}

/** The API could not be reached or answered something other than the contract (retry later). */
export class ApiUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiUnavailableError";
  }
}

export interface AgentApi {
  /** Base URL as configured, for log lines. */
  readonly url: string;
  fetchConfig(options: {
    knownRevision: number | undefined;
    waitSeconds: number;
    signal?: AbortSignal;
  }): Promise<ConfigAnswer>;
  postStatus(report: unknown, signal?: AbortSignal): Promise<StatusAnswer | Denied>;
}

const ConfigBody = z.object({
  revision: z.number().int().nonnegative(),
  config: z.record(z.string(), z.unknown()),
});

const StatusBody = z.object({
  currentRevision: z.number().int(),
  upToDate: z.boolean(),
  reportIntervalSeconds: z.number().int().positive().optional(),
});

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Extra time a long poll may take beyond ?wait before the agent gives up on it (ms). */
const LONG_POLL_SLACK_MS = 15_000;
/** Time for a plain request (status, the first config fetch) (ms). */
const REQUEST_TIMEOUT_MS = 10_000;

export interface HttpAgentApiOptions {
  readonly url: string;
  readonly token: string;
  readonly fetch?: typeof fetch;
  /** Plain request timeout (ms); a long poll gets ?wait plus slack. */
  readonly requestTimeoutMs?: number;
}

/** "the API said: …" from an error body, or the status line when the body is not ours. */
async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) return `${parsed.data.error.code}: ${parsed.data.error.message}`;
  } catch {}
  return `HTTP ${response.status}${text ? ` ${text.slice(0, 200).replace(/\s+/g, " ")}` : ""}`;
}

/** Socket error codes as people read them. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the API running on that address?)",
  ECONNRESET: "connection reset",
  UND_ERR_SOCKET: "the connection closed before an answer",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name does not resolve right now",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "no route to the network",
};

function withTimeout(ms: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

export class HttpAgentApi implements AgentApi {
  readonly url: string;
  readonly #base: URL;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: HttpAgentApiOptions) {
    this.url = options.url;
    this.#base = new URL(options.url.endsWith("/") ? options.url : `${options.url}/`);
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  async #request(
    path: string,
    init: RequestInit,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Response> {
    const target = new URL(path, this.#base);
    try {
      return await this.#fetch(target, {
        ...init,
        headers: { authorization: `Bearer ${this.#token}`, ...init.headers },
        signal: withTimeout(timeoutMs, signal),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason =
        (error as Error).name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : ((cause?.code && NETWORK_REASONS[cause.code]) ??
            cause?.code ??
            cause?.message ??
            (error as Error).message);
      throw new ApiUnavailableError(`${target.origin}: ${reason}`);
    }
  }

  async fetchConfig({
    knownRevision,
    waitSeconds,
    signal,
  }: {
    knownRevision: number | undefined;
    waitSeconds: number;
    signal?: AbortSignal;
  }): Promise<ConfigAnswer> {
    const query = knownRevision === undefined || waitSeconds <= 0 ? "" : `?wait=${waitSeconds}`;
    const response = await this.#request(
      `v1/agent/config${query}`,
      knownRevision === undefined ? {} : { headers: { "if-none-match": `"${knownRevision}"` } },
      this.#timeoutMs + (query ? waitSeconds * 1000 + LONG_POLL_SLACK_MS : 0),
      signal,
    );
    if (response.status === 304) {
      await response.body?.cancel();
      return { kind: "unchanged", revision: knownRevision ?? 0 };
    }
    if (response.status === 401 || response.status === 403) {
      return { kind: "denied", status: response.status, message: await reasonOf(response) };
    }
    if (response.status !== 200) {
      throw new ApiUnavailableError(`GET /v1/agent/config: ${await reasonOf(response)}`);
    }
    const parsed = ConfigBody.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ApiUnavailableError(
        "GET /v1/agent/config: the answer is not {revision, config}; is --api the nat64-relay API?",
      );
    }
    return { kind: "config", revision: parsed.data.revision, config: parsed.data.config };
  }

  async postStatus(report: unknown, signal?: AbortSignal): Promise<StatusAnswer | Denied> {
    const response = await this.#request(
      "v1/agent/status",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(report),
      },
      this.#timeoutMs,
      signal,
    );
    if (response.status === 401 || response.status === 403) {
      return { kind: "denied", status: response.status, message: await reasonOf(response) };
    }
    if (response.status !== 200) {
      throw new ApiUnavailableError(`POST /v1/agent/status: ${await reasonOf(response)}`);
    }
    const parsed = StatusBody.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ApiUnavailableError("POST /v1/agent/status: unexpected answer");
    }
    return {
      kind: "recorded",
      currentRevision: parsed.data.currentRevision,
      upToDate: parsed.data.upToDate,
      reportIntervalSeconds: parsed.data.reportIntervalSeconds,
    };
  }
}
