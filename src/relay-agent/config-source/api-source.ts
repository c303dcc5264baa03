// Managed mode's config source: the relay's config from the control API. Long-polls
// GET /v1/agent/config?wait=… with If-None-Match, hands every new revision to the agent as soon
// as the API answers, keeps the last applied one under the state dir, and starts from that copy
// when the API cannot be reached, so a reboot with the API down still serves (docs/managed.md).
// Failures back off with jitter up to a cap; a refused token (401/403) stops the polling with one
// log line while the running config keeps serving. Keys that describe this node (listen...) come
// from the local file and override the API's document.

import { type AgentApi, ApiUnavailableError, type ConfigAnswer } from "../managed/api-link.ts";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "../managed/backoff.ts";
import type { LinkHealth } from "../managed/link-health.ts";
import type { ManagedLog } from "../managed/log.ts";
import {
  type LastApply,
  lastApplyOf,
  type SourceApplyResult,
  type SourceCandidate,
  type SourceCandidateHandler,
} from "./apply-outcome.ts";
import { readLastKnownGood, saveLastKnownGood } from "./last-known-good.ts";

export interface ApiConfigSourceDeps {
  readonly api: AgentApi;
  readonly health: LinkHealth;
  readonly stateDir: string;
  readonly log: ManagedLog;
  /** This node's keys from the local file; they replace the API's values. */
  readonly localKeys?: Record<string, unknown>;
  /** Called after every apply (the status reporter posts then). */
  readonly onApplied?: (lastApply: LastApply) => void;
  /** ?wait= of each long poll (s); the API caps it with AGENT_MAX_WAIT_SECONDS. */
  readonly waitSeconds?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly now?: () => Date;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What runs and what the API offered last, for the status report and `agent doctor`. */
export interface SourceState {
  readonly appliedRevision: number | undefined;
  readonly appliedFrom: "api" | "last-known-good" | undefined;
  /** The newest revision the agent could not apply, with why (cleared by the next good one). */
  readonly refused: { readonly revision: number; readonly reasons: readonly string[] } | undefined;
  readonly lastApply: LastApply | undefined;
}

interface Offer {
  readonly revision: number;
  readonly config: Record<string, unknown>;
  readonly from: "api" | "last-known-good";
}

export const DEFAULT_WAIT_SECONDS = 55;
/** A long poll that comes back unchanged faster than this is followed by a pause (ms). */
const MIN_POLL_CYCLE_MS = 1000;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export class ApiConfigSource {
  readonly #deps: ApiConfigSourceDeps;
  readonly #abort = new AbortController();
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #now: () => Date;
  /** What first() handed out: the agent started from it once watch() is called. */
  #first: Offer | undefined;
  #applied: Offer | undefined;
  #refused: SourceState["refused"];
  #lastApply: LastApply | undefined;
  #failures = 0;
  #loop: Promise<void> | undefined;

  constructor(deps: ApiConfigSourceDeps) {
    this.#deps = deps;
    this.#sleep = deps.sleep ?? abortableSleep;
    this.#now = deps.now ?? (() => new Date());
    // A denial seen by the status reporter ends the long poll in flight too.
    deps.health.onDenied(() => this.#abort.abort());
  }

  get state(): SourceState {
    return {
      appliedRevision: this.#applied?.revision,
      appliedFrom: this.#applied?.from,
      refused: this.#refused,
      lastApply: this.#lastApply,
    };
  }

  /**
   * The config to start from: the API's if it answers, else the last-known-good copy. With
   * neither it keeps retrying (backing off) until the API answers or close() is called; a
   * refused token with no copy gives a candidate that says so (the agent refuses to start).
   */
  async first(): Promise<SourceCandidate> {
    const { log, stateDir, api } = this.#deps;
    const saved = await readLastKnownGood(stateDir, api.url);
    if (saved.kind === "unusable") log.warn({ reason: saved.reason }, "ignoring the saved config");
    for (;;) {
      const answer = await this.#fetch(undefined);
      if (answer?.kind === "config") {
        return this.#handOut({ revision: answer.revision, config: answer.config, from: "api" });
      }
      if (saved.kind === "found") {
        const { revision, config, savedAt } = saved.copy;
        log.warn(
          { revision, savedAt },
          answer?.kind === "denied"
            ? "the API refused the token; starting from the last-known-good copy"
            : "the API is not answering; starting from the last-known-good copy",
        );
        return this.#handOut({ revision, config, from: "last-known-good" });
      }
      if (answer?.kind === "denied") {
        return {
          ok: false,
          origin: api.url,
          problems: [{ path: "", message: this.#deniedLine(answer.status, answer.message) }],
        };
      }
      if (this.#abort.signal.aborted) {
        return { ok: false, origin: api.url, problems: [{ path: "", message: "stopped" }] };
      }
    }
  }

  /**
   * The agent runs the first candidate: from now on every new revision goes to `handle`, one at
   * a time, until close() or a refused token.
   */
  watch(handle: SourceCandidateHandler): void {
    const first = this.#first && !this.#applied ? this.#first : undefined;
    this.#loop ??= (async () => {
      if (first) await this.#record(first, { ok: true, changedKeys: [], hostChanges: [] });
      await this.#pollLoop(handle);
    })();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  #handOut(offer: Offer): SourceCandidate {
    this.#first = offer;
    return { ok: true, origin: this.#originOf(offer), document: this.#document(offer.config) };
  }

  #originOf(offer: Offer): string {
    return offer.from === "api"
      ? `${this.#deps.api.url} revision ${offer.revision}`
      : `last-known-good revision ${offer.revision}`;
  }

  /** The API's document with this node's local keys on top. */
  #document(config: Record<string, unknown>): Record<string, unknown> {
    return { ...config, ...this.#deps.localKeys };
  }

  async #pollLoop(handle: SourceCandidateHandler): Promise<void> {
    const waitSeconds = this.#deps.waitSeconds ?? DEFAULT_WAIT_SECONDS;
    while (!this.#abort.signal.aborted && !this.#deps.health.denied) {
      // After a refused revision, wait for the next one instead of fetching the same again.
      const known = this.#refused?.revision ?? this.#applied?.revision;
      const started = Date.now();
      const answer = await this.#fetch(known, waitSeconds);
      if (answer === undefined || answer.kind === "denied") continue;
      if (answer.kind === "config") {
        const offer: Offer = { revision: answer.revision, config: answer.config, from: "api" };
        let result: SourceApplyResult;
        try {
          result = await handle({
            ok: true,
            origin: this.#originOf(offer),
            document: this.#document(offer.config),
          });
        } catch (error) {
          result = { ok: false, message: String(error), problems: [] };
        }
        await this.#record(offer, result);
        continue;
      }
      const elapsed = Date.now() - started;
      if (elapsed < MIN_POLL_CYCLE_MS) await this.#pause(MIN_POLL_CYCLE_MS - elapsed);
    }
  }

  /** One request; undefined after a failure (already logged and waited for) or on close. */
  async #fetch(known: number | undefined, waitSeconds = 0): Promise<ConfigAnswer | undefined> {
    const { api, health, log } = this.#deps;
    try {
      const answer = await api.fetchConfig({
        knownRevision: known,
        waitSeconds,
        signal: this.#abort.signal,
      });
      if (answer.kind === "denied") {
        health.failed(answer.message);
        if (!health.denied) {
          log.error({ api: api.url }, this.#deniedLine(answer.status, answer.message));
        }
        health.deny(answer);
        return answer;
      }
      if (this.#failures > 0) log.info({ api: api.url }, "the API answers again");
      this.#failures = 0;
      health.answered(this.#now());
      return answer;
    } catch (error) {
      if (this.#abort.signal.aborted) return undefined;
      const reason =
        error instanceof ApiUnavailableError ? error.message : `unexpected: ${String(error)}`;
      health.failed(reason);
      this.#failures += 1;
      const delay = backoffDelay(
        this.#failures,
        this.#deps.random ?? Math.random,
        this.#deps.backoff ?? DEFAULT_BACKOFF,
      );
      // One warning per outage; the retries after it at info: a long outage is not a flood.
      const fields = { api: api.url, reason, retryInMs: delay, failures: this.#failures };
      if (this.#failures === 1) log.warn(fields, "cannot reach the API; retrying with backoff");
      else log.info(fields, "API still unreachable");
      await this.#pause(delay);
      return undefined;
    }
  }

  #pause(ms: number): Promise<void> {
    return this.#sleep(ms, this.#abort.signal);
  }

  #deniedLine(status: number, message: string): string {
    const running = this.#applied
      ? `revision ${this.#applied.revision} keeps serving`
      : "no config is running";
    return `the API at ${this.#deps.api.url} refused this agent's token (HTTP ${status}, ${message}): stopped polling; ${running}. Put a valid agent token in the token file and restart the agent.`;
  }

  async #record(offer: Offer, result: SourceApplyResult): Promise<void> {
    const { log, stateDir, api, onApplied } = this.#deps;
    this.#lastApply = lastApplyOf(offer.revision, result, this.#now());
    if (result.ok) {
      this.#applied = offer;
      if (offer.from === "api") {
        this.#refused = undefined;
        await saveLastKnownGood(stateDir, {
          revision: offer.revision,
          config: offer.config,
          api: api.url,
          savedAt: this.#now().toISOString(),
        }).catch((error: unknown) =>
          log.error(
            { err: error },
            "could not save the last-known-good config; a restart with the API down would not serve it",
          ),
        );
      }
      log.info(
        { revision: offer.revision, from: offer.from, changes: this.#lastApply.changes },
        `running config revision ${offer.revision}`,
      );
    } else {
      this.#refused = { revision: offer.revision, reasons: this.#lastApply.reasons };
      log.error(
        {
          revision: offer.revision,
          reasons: this.#lastApply.reasons,
          running: this.#applied?.revision ?? null,
        },
        `refused config revision ${offer.revision}; the previous config keeps running`,
      );
    }
    onApplied?.(this.#lastApply);
  }
}
