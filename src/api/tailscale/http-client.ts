// TailscaleApi over HTTP (fetch: undici on Node, the runtime's own on Workers). Retries 429, 5xx
// and broken connections with backoff, honouring Retry-After, a bounded number of times; fails at
// once when the API cannot be reached at all (refused, DNS, TLS, timeout: fetch-failure.ts);
// caches OAuth tokens until shortly before they expire. The API's shapes and limits:
// docs/design.md, "Tailscale API".
import { RelayError } from "../../core/errors.ts";
import type {
  DeviceRoutes,
  SplitDnsChanges,
  SplitDnsMap,
  TailscaleApi,
  TailscaleDevice,
} from "./api.ts";
import { describeFetchFailure } from "./fetch-failure.ts";

export type TailscaleAuth =
  | { readonly kind: "apiKey"; readonly apiKey: string }
  | { readonly kind: "oauth"; readonly clientId: string; readonly clientSecret: string };

export interface TailscaleHttpOptions {
  /** e.g. https://api.tailscale.com (the client appends /api/v2). */
  readonly baseUrl: string;
  /** "-" means the tailnet of the credentials. */
  readonly tailnet: string;
  readonly auth: TailscaleAuth;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Attempts per request, first one included. */
  readonly maxAttempts?: number;
  /** Upper bound on one wait between attempts, Retry-After included. */
  readonly maxDelayMs?: number;
  readonly baseDelayMs?: number;
  /** Bound on one attempt, connect to last byte. */
  readonly attemptTimeoutMs?: number;
}

/** Refresh an OAuth access token this long before it expires. */
const TOKEN_MARGIN_MS = 60_000;

export class TailscaleHttpError extends RelayError {
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** For logs and metrics: "HTTP 403", or a FetchFailureCause ("ECONNREFUSED", "DNS", "TLS", …). */
  readonly reason: string;
  constructor(status: number, message: string, reason = `HTTP ${status}`) {
    super(status === 429 ? "rate_limited" : "upstream_unavailable", message);
    this.status = status;
    this.reason = reason;
  }
}

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

const asStrings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];

function toDevice(raw: Record<string, unknown>): TailscaleDevice {
  return {
    id: String(raw.id ?? ""),
    nodeId: String(raw.nodeId ?? ""),
    name: String(raw.name ?? ""),
    hostname: String(raw.hostname ?? ""),
    addresses: asStrings(raw.addresses),
    advertisedRoutes: asStrings(raw.advertisedRoutes),
    enabledRoutes: asStrings(raw.enabledRoutes),
  };
}

function toRoutes(raw: Record<string, unknown>): DeviceRoutes {
  return {
    advertisedRoutes: asStrings(raw.advertisedRoutes),
    enabledRoutes: asStrings(raw.enabledRoutes),
  };
}

function toSplitDns(raw: unknown): SplitDnsMap {
  const map: Record<string, string[]> = {};
  if (raw && typeof raw === "object") {
    for (const [domain, servers] of Object.entries(raw)) map[domain] = asStrings(servers);
  }
  return map;
}

export class TailscaleHttpClient implements TailscaleApi {
  readonly #options: Required<Omit<TailscaleHttpOptions, "fetch" | "sleep" | "now">>;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  #token: { value: string; expiresAt: number } | undefined;

  constructor(options: TailscaleHttpOptions) {
    this.#options = {
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      tailnet: options.tailnet,
      auth: options.auth,
      maxAttempts: options.maxAttempts ?? 6,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      baseDelayMs: options.baseDelayMs ?? 500,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 15_000,
    };
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
  }

  async listDevices(): Promise<TailscaleDevice[]> {
    const body = (await this.#request("GET", `${this.#tailnetPath()}/devices?fields=all`)) as {
      devices?: Record<string, unknown>[];
    };
    return (body.devices ?? []).map(toDevice);
  }

  async getDeviceRoutes(deviceId: string): Promise<DeviceRoutes> {
    return toRoutes(
      (await this.#request("GET", `/device/${encodeURIComponent(deviceId)}/routes`)) as Record<
        string,
        unknown
      >,
    );
  }

  async replaceEnabledRoutes(deviceId: string, routes: readonly string[]): Promise<DeviceRoutes> {
    return toRoutes(
      (await this.#request("POST", `/device/${encodeURIComponent(deviceId)}/routes`, {
        routes,
      })) as Record<string, unknown>,
    );
  }

  async getSplitDns(): Promise<SplitDnsMap> {
    return toSplitDns(await this.#request("GET", `${this.#tailnetPath()}/dns/split-dns`));
  }

  async updateSplitDns(changes: SplitDnsChanges): Promise<SplitDnsMap> {
    return toSplitDns(
      await this.#request("PATCH", `${this.#tailnetPath()}/dns/split-dns`, changes),
    );
  }

  #tailnetPath(): string {
    return `/tailnet/${encodeURIComponent(this.#options.tailnet)}`;
  }

  async #bearer(forceRefresh: boolean): Promise<string> {
    const { auth } = this.#options;
    if (auth.kind === "apiKey") return auth.apiKey;
    if (!forceRefresh && this.#token && this.#token.expiresAt - TOKEN_MARGIN_MS > this.#now()) {
      return this.#token.value;
    }
    const response = await this.#send(`${this.#options.baseUrl}/api/v2/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: auth.clientId,
        client_secret: auth.clientSecret,
      }).toString(),
    });
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token)
      throw new TailscaleHttpError(502, "OAuth token answer had no access_token");
    this.#token = {
      value: body.access_token,
      expiresAt: this.#now() + (body.expires_in ?? 3600) * 1000,
    };
    return this.#token.value;
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.#options.baseUrl}/api/v2${path}`;
    let refreshed = false;
    for (;;) {
      const token = await this.#bearer(refreshed);
      const init: RequestInit = {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      };
      try {
        const response = await this.#send(url, init);
        return await response.json();
      } catch (error) {
        // An OAuth access token may be revoked early: fetch a new one, once.
        if (
          error instanceof TailscaleHttpError &&
          error.status === 401 &&
          this.#options.auth.kind === "oauth" &&
          !refreshed
        ) {
          refreshed = true;
          continue;
        }
        throw error;
      }
    }
  }

  /** One logical request: retries 429 / 5xx / network errors with bounded backoff. */
  async #send(url: string, init: RequestInit): Promise<Response> {
    const { maxAttempts, maxDelayMs, baseDelayMs, attemptTimeoutMs, baseUrl } = this.#options;
    const label = `${init.method} ${url.replace(baseUrl, "")}`;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.#fetch(url, {
          ...init,
          signal: AbortSignal.timeout(attemptTimeoutMs),
        });
      } catch (error) {
        const failure = describeFetchFailure(error);
        if (!failure.retryable || attempt >= maxAttempts) {
          const detail = failure.detail.includes(failure.cause)
            ? failure.detail
            : `${failure.detail} (${failure.cause})`;
          throw new TailscaleHttpError(
            0,
            `${label}: cannot reach the Tailscale API at ${baseUrl}: ${detail}`,
            failure.cause,
          );
        }
        await this.#sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
        continue;
      }
      if (response.ok) return response;
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      const error = new TailscaleHttpError(
        response.status,
        `${label}: ${response.status} ${message}`,
      );
      if (!isRetryable(response.status) || attempt >= maxAttempts) throw error;
      const backoff = baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      const wait = retryAfterMs(response.headers.get("retry-after"), this.#now()) ?? backoff;
      await this.#sleep(Math.min(maxDelayMs, wait));
    }
  }
}
