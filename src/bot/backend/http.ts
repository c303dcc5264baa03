// The remote backend: the control API over HTTP with an operator token (`nat64-relay bot`).
// Answers are validated with the API's own output schemas; error bodies become the same
// RelayError codes the services throw.
import { z } from "zod";
import { AddSplitDomainOutput } from "../../api/services/add-split-domain.ts";
import { StatusOutput } from "../../api/services/get-status.ts";
import { RelayView } from "../../api/services/schemas.ts";
import { SplitDomainView } from "../../api/services/split-domain-view.ts";
import { ERROR_CODES, type ErrorCode, RelayError } from "../../core/errors.ts";
import type { ConfirmationStore, RelayBackend, SlackActor } from "./backend.ts";
import { MemoryConfirmationStore } from "./memory-confirmations.ts";

const TIMEOUT_MS = 15_000;

interface ErrorAnswer {
  error?: { code?: string; message?: string; problems?: { path: string; message: string }[] };
}

export class HttpBackend implements RelayBackend {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #log: (text: string) => void;
  readonly confirmations: ConfirmationStore;

  constructor(options: {
    apiUrl: string;
    token: string;
    fetch?: typeof fetch;
    now?: () => Date;
    log?: (text: string) => void;
  }) {
    this.#baseUrl = options.apiUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#log = options.log ?? (() => {});
    this.confirmations = new MemoryConfirmationStore(options.now);
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
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new RelayError(
        "upstream_unavailable",
        `the nat64-relay API at ${this.#baseUrl} is unreachable: ${(error as Error).message}`,
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
      const error = (answer as ErrorAnswer | undefined)?.error;
      const code = ERROR_CODES.includes(error?.code as ErrorCode)
        ? (error!.code as ErrorCode)
        : "upstream_unavailable";
      throw new RelayError(
        code,
        error?.message ?? `the nat64-relay API answered HTTP ${response.status}`,
        error?.problems ?? [],
      );
    }
    if (!schema) return undefined as z.output<S>;
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      throw new RelayError(
        "upstream_unavailable",
        `unexpected answer from the nat64-relay API to ${method} ${path}`,
      );
    }
    return parsed.data;
  }

  addSplitDomain(_actor: SlackActor, input: { name: string; realSuffix: string; relay: string }) {
    return this.#call(AddSplitDomainOutput, "POST", "/v1/split-domains", { body: input });
  }

  async removeSplitDomain(_actor: SlackActor, input: { name: string; ifMatch: string }) {
    await this.#call(undefined, "DELETE", `/v1/split-domains/${encodeURIComponent(input.name)}`, {
      headers: { "if-match": input.ifMatch },
    });
  }

  getSplitDomain(_actor: SlackActor, name: string) {
    return this.#call(SplitDomainView, "GET", `/v1/split-domains/${encodeURIComponent(name)}`);
  }

  async listSplitDomains() {
    const listed = await this.#call(
      z.object({ splitDomains: z.array(SplitDomainView) }),
      "GET",
      "/v1/split-domains",
    );
    return listed.splitDomains;
  }

  async listRelays() {
    const listed = await this.#call(z.object({ relays: z.array(RelayView) }), "GET", "/v1/relays");
    return listed.relays;
  }

  getStatus() {
    return this.#call(StatusOutput, "GET", "/v1/status");
  }

  /** No HTTP route takes Slack refusals: they go to the bot's own log. */
  async recordRefusal(actor: SlackActor, verb: string, input: Record<string, unknown>) {
    this.#log(`refused slack:${actor.teamId}/${actor.userId} ${verb} ${JSON.stringify(input)}`);
  }
}
