// Managed mode's config source: the relay's config from the control API. Long-polls
// GET /v1/agent/config?wait=… with If-None-Match, hands every new revision to `apply` as soon as
// the API answers, keeps the last applied one under the state dir, and starts from that copy when
// the API cannot be reached, so a reboot with the API down still serves (docs/managed.md).
// Failures back off with jitter up to a cap; a refused token (401/403) stops the polling with one
// log line while the running config keeps serving.
import { type AgentApi, ApiUnavailableError, type ConfigAnswer } from "../managed/api-link.ts";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "../managed/backoff.ts";
import type { LinkHealth } from "../managed/link-health.ts";
import type { ApplyCandidate, ApplyOutcome, ConfigCandidate } from "./apply-outcome.ts";
import { readLastKnownGood, saveLastKnownGood } from "./last-known-good.ts";

export interface SourceLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ApiConfigSourceDeps {
  readonly api: AgentApi;
  readonly health: LinkHealth;
  readonly stateDir: string;
  readonly apply: ApplyCandidate;
  readonly log: SourceLog;
  /** Called after every apply attempt (the status reporter posts then). */
  readonly onOutcome?: (candidate: ConfigCandidate, outcome: ApplyOutcome) => void;
  /** ?wait= of each long poll (s); the API caps it with AGENT_MAX_WAIT_SECONDS. */
  readonly waitSeconds?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly now?: () => Date;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Where the running config came from and what the API offered last. */
export interface SourceState {
  readonly appliedRevision: number | undefined;
  readonly appliedFrom: "api" | "last-known-good" | undefined;
  /** The newest revision the agent could not apply, with why (cleared by the next good one). */
  readonly refused: { readonly revision: number; readonly reasons: readonly string[] } | undefined;
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
  #appliedRevision: number | undefined;
  #appliedFrom: "api" | "last-known-good" | undefined;
  #refused: SourceState["refused"];
  #failures = 0;
  #loop: Promise<void> | undefined;

  constructor(deps: ApiConfigSourceDeps) {
    this.#deps = deps;
    this.#sleep = deps.sleep ?? abortableSleep;
    this.#now = deps.now ?? (() => new Date());
  }

  get state(): SourceState {
    return {
      appliedRevision: this.#appliedRevision,
      appliedFrom: this.#appliedFrom,
      refused: this.#refused,
    };
  }

  /**
   * Gets the first config running: the API's if it answers, else the last-known-good copy.
   * Without either it keeps retrying (backing off) until one config applies or stop() is called;
   * it throws only when the token is refused and there is no copy to serve.
   */
  async start(): Promise<void> {
    const { log, stateDir, api } = this.#deps;
    const saved = await readLastKnownGood(stateDir, api.url);
    if (saved.kind === "unusable") log.warn({ reason: saved.reason }, "ignoring the saved config");
    let savedTried = false;
    const waitSeconds = this.#deps.waitSeconds ?? DEFAULT_WAIT_SECONDS;
    while (!this.#abort.signal.aborted) {
      // After a refused revision, wait for the next one instead of fetching the same again.
      const refused = this.#refused?.revision;
      const answer = await this.#fetch(refused, refused === undefined ? 0 : waitSeconds);
      if (answer?.kind === "config") {
        const outcome = await this.#offer({ ...answer, origin: "api" });
        if (outcome.kind === "applied") return;
      }
      if (saved.kind === "found" && !savedTried) {
        savedTried = true;
        const { revision, config } = saved.copy;
        log.warn(
          { revision, savedAt: saved.copy.savedAt },
          answer?.kind === "config"
            ? "the API's config could not be applied; starting from the last-known-good copy"
            : "the API is not answering; starting from the last-known-good copy",
        );
        const outcome = await this.#offer({ revision, config, origin: "last-known-good" });
        if (outcome.kind === "applied") return;
      }
      if (answer?.kind === "denied")
        throw new Error(this.#deniedLine(answer.status, answer.message));
    }
  }

  /** Long-polls in the background until stop() or a refused token. */
  run(): void {
    this.#loop ??= this.#pollLoop();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #pollLoop(): Promise<void> {
    const waitSeconds = this.#deps.waitSeconds ?? DEFAULT_WAIT_SECONDS;
    while (!this.#abort.signal.aborted && !this.#deps.health.denied) {
      const known = this.#refused?.revision ?? this.#appliedRevision;
      const started = Date.now();
      const answer = await this.#fetch(known, waitSeconds);
      if (answer === undefined || answer.kind === "denied") continue;
      if (answer.kind === "config") {
        await this.#offer({ ...answer, origin: "api" });
        continue;
      }
      const elapsed = Date.now() - started;
      if (elapsed < MIN_POLL_CYCLE_MS) await this.#pause(MIN_POLL_CYCLE_MS - elapsed);
    }
  }

  /** One request; undefined after a failure (already logged and waited for) or on stop. */
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
        if (!health.denied)
          log.error({ api: api.url }, this.#deniedLine(answer.status, answer.message));
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
      const delay = this.#nextBackoff();
      // One line per failure streak at warn, the retries at debug: a long outage is not a flood.
      const fields = { api: api.url, reason, retryInMs: delay, failures: this.#failures };
      if (this.#failures === 1) log.warn(fields, "cannot reach the API; retrying with backoff");
      else log.info(fields, "API still unreachable");
      await this.#pause(delay);
      return undefined;
    }
  }

  #nextBackoff(): number {
    this.#failures += 1;
    return backoffDelay(
      this.#failures,
      this.#deps.random ?? Math.random,
      this.#deps.backoff ?? DEFAULT_BACKOFF,
    );
  }

  #pause(ms: number): Promise<void> {
    return this.#sleep(ms, this.#abort.signal);
  }

  #deniedLine(status: number, message: string): string {
    return `the API at ${this.#deps.api.url} refused this agent's token (HTTP ${status}, ${message}): stopped polling; ${this.#appliedRevision === undefined ? "no config is running" : `revision ${this.#appliedRevision} keeps serving`}. Put a valid agent token in the token file and restart the agent.`;
  }

  async #offer(candidate: ConfigCandidate): Promise<ApplyOutcome> {
    const { apply, log, stateDir, api, onOutcome } = this.#deps;
    let outcome: ApplyOutcome;
    try {
      outcome = await apply(candidate);
    } catch (error) {
      outcome = {
        kind: "refused",
        reasons: [error instanceof Error ? error.message : String(error)],
      };
    }
    if (outcome.kind === "applied") {
      this.#appliedRevision = candidate.revision;
      this.#appliedFrom = candidate.origin;
      if (candidate.origin === "api") {
        this.#refused = undefined;
        await saveLastKnownGood(stateDir, {
          revision: candidate.revision,
          config: candidate.config,
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
        { revision: candidate.revision, from: candidate.origin, changes: outcome.changes },
        outcome.changes.length ? "applied config" : "config unchanged",
      );
    } else {
      if (candidate.origin === "api") {
        this.#refused = { revision: candidate.revision, reasons: outcome.reasons };
      }
      log.error(
        {
          revision: candidate.revision,
          from: candidate.origin,
          reasons: outcome.reasons,
          running: this.#appliedRevision ?? null,
        },
        `refused config revision ${candidate.revision}; the previous config keeps running`,
      );
    }
    onOutcome?.(candidate, outcome);
    return outcome;
  }
}
