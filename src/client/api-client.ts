// A typed client of the control API over HTTP, for the operator CLI (and any other remote
// caller). Answers are checked against the API's own output schemas; an error answer becomes the
// same RelayError (code, message, problems) the service threw on the server, so every transport
// prints the same words.
import { z } from "zod";
import type { SyncReport } from "../api/reconciler/report.ts";
import { SyncReport as SyncReportSchema } from "../api/reconciler/report.ts";
import { AddSplitDomainOutput } from "../api/services/add-split-domain.ts";
import { CreateRelayOutput } from "../api/services/create-relay.ts";
import { StatusOutput } from "../api/services/get-status.ts";
import { RelayView } from "../api/services/schemas.ts";
import { SplitDomainView } from "../api/services/split-domain-view.ts";
import { describeFetchFailure } from "../api/tailscale/fetch-failure.ts";
import { ERROR_CODES, type ErrorCode, RelayError } from "../core/errors.ts";

export interface ApiClientOptions {
  /** e.g. https://relay-api.example.com (NAT64_RELAY_API_URL). */
  readonly apiUrl: string;
  /** An operator or admin token (NAT64_RELAY_API_TOKEN). */
  readonly token: string;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

const ErrorAnswer = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

const isErrorCode = (code: string): code is ErrorCode =>
  (ERROR_CODES as readonly string[]).includes(code);

export class ApiClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.#baseUrl = options.apiUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async listRelays(): Promise<RelayView[]> {
    return (await this.#call(z.object({ relays: z.array(RelayView) }), "GET", "/v1/relays")).relays;
  }

  getRelay(name: string): Promise<RelayView> {
    return this.#call(RelayView, "GET", `/v1/relays/${encodeURIComponent(name)}`);
  }

  createRelay(input: Record<string, unknown>): Promise<CreateRelayOutput> {
    return this.#call(CreateRelayOutput, "POST", "/v1/relays", { body: input });
  }

  /** Unconditional unless `ifMatch` is given (the relay's ETag from getRelay). */
  async deleteRelay(name: string, ifMatch?: string): Promise<void> {
    await this.#call(undefined, "DELETE", `/v1/relays/${encodeURIComponent(name)}`, {
      headers: ifMatch ? { "if-match": ifMatch } : {},
    });
  }

  getSplitDomain(name: string): Promise<SplitDomainView> {
    return this.#call(SplitDomainView, "GET", `/v1/split-domains/${encodeURIComponent(name)}`);
  }

  async listSplitDomains(): Promise<SplitDomainView[]> {
    const schema = z.object({ splitDomains: z.array(SplitDomainView) });
    return (await this.#call(schema, "GET", "/v1/split-domains")).splitDomains;
  }

  addSplitDomain(input: {
    name: string;
    realSuffix: string;
    relay: string;
  }): Promise<AddSplitDomainOutput> {
    return this.#call(AddSplitDomainOutput, "POST", "/v1/split-domains", { body: input });
  }

  async removeSplitDomain(name: string, ifMatch?: string): Promise<void> {
    await this.#call(undefined, "DELETE", `/v1/split-domains/${encodeURIComponent(name)}`, {
      headers: ifMatch ? { "if-match": ifMatch } : {},
    });
  }

  getStatus(): Promise<StatusOutput> {
    return this.#call(StatusOutput, "GET", "/v1/status");
  }

  sync(): Promise<SyncReport> {
    return this.#call(SyncReportSchema, "POST", "/v1/sync");
  }

  async #call<S extends z.ZodType>(
    schema: S | undefined,
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<z.output<S>> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: "application/json",
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const failure = describeFetchFailure(error);
      throw new RelayError(
        "upstream_unavailable",
        `cannot reach the nat64-relay API at ${this.#baseUrl}: ${failure.detail}${failure.detail.includes(failure.cause) ? "" : ` (${failure.cause})`}; check NAT64_RELAY_API_URL`,
      );
    }
    const text = await response.text();
    let answer: unknown;
    try {
      answer = text ? JSON.parse(text) : undefined;
    } catch {
      answer = undefined;
    }
    if (!response.ok) {
      const parsed = ErrorAnswer.safeParse(answer);
      if (parsed.success && isErrorCode(parsed.data.error.code)) {
        const { code, message, problems } = parsed.data.error;
        throw new RelayError(code, message, problems ?? []);
      }
      throw new RelayError(
        "upstream_unavailable",
        `${method} ${this.#baseUrl}${path} answered HTTP ${response.status} without an API error body; is NAT64_RELAY_API_URL a nat64-relay API?`,
      );
    }
    if (!schema) return undefined as z.output<S>;
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      throw new RelayError(
        "upstream_unavailable",
        `unexpected answer from ${method} ${this.#baseUrl}${path}; is NAT64_RELAY_API_URL a nat64-relay API of this version?`,
      );
    }
    return parsed.data;
  }
}
