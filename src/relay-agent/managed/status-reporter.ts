// Posts this node's status to POST /v1/agent/status every interval and right after each apply
// (coalesced: one post in flight, at most one queued). The API answers how often it wants
// reports; a node silent for 3 intervals is `down` there (docs/managed.md). A refused token
// stops the reports as it stops the polling.

import type { AgentApi } from "./api-link.ts";
import type { LinkHealth } from "./link-health.ts";
import type { ManagedLog } from "./log.ts";

export interface StatusReporterDeps {
  readonly api: AgentApi;
  readonly health: LinkHealth;
  /** The report body; undefined when there is nothing to say yet (no identity, no config). */
  readonly collect: () => Promise<Record<string, unknown> | undefined>;
  readonly log: ManagedLog;
  /** Until the API says otherwise (ms). */
  readonly intervalMs?: number;
}

export const DEFAULT_REPORT_INTERVAL_MS = 30_000;
/** The API may ask for anything from 1 s up; the agent never reports faster than this. */
const MIN_INTERVAL_MS = 1000;

export class StatusReporter {
  readonly #deps: StatusReporterDeps;
  #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #queued = false;
  #stopped = false;
  #failing = false;
  #lastAnswer: { currentRevision: number; upToDate: boolean } | undefined;

  constructor(deps: StatusReporterDeps) {
    this.#deps = deps;
    this.#intervalMs = deps.intervalMs ?? DEFAULT_REPORT_INTERVAL_MS;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** What the API said to the last report: the revision it holds and whether we run it. */
  get lastAnswer(): { currentRevision: number; upToDate: boolean } | undefined {
    return this.#lastAnswer;
  }

  start(): void {
    this.reportSoon();
  }

  /** Posts now, or right after the post in flight. */
  reportSoon(): Promise<void> {
    if (this.#stopped || this.#deps.health.denied) return Promise.resolve();
    if (this.#inFlight) {
      this.#queued = true;
      return this.#inFlight;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight = this.#post().finally(() => {
      this.#inFlight = undefined;
      if (this.#queued) {
        this.#queued = false;
        void this.reportSoon();
      } else {
        this.#schedule();
      }
    });
    return this.#inFlight;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#inFlight;
  }

  #schedule(): void {
    if (this.#stopped || this.#deps.health.denied) return;
    this.#timer = setTimeout(() => void this.reportSoon(), this.#intervalMs);
    this.#timer.unref?.();
  }

  async #post(): Promise<void> {
    const { api, health, log, collect } = this.#deps;
    let report: Record<string, unknown> | undefined;
    try {
      report = await collect();
    } catch (error) {
      log.warn({ err: error }, "could not gather the status report");
      return;
    }
    if (!report) return;
    try {
      const answer = await api.postStatus(report);
      if (answer.kind === "denied") {
        if (!health.denied) {
          log.error(
            { api: api.url, status: answer.status },
            `the API at ${api.url} refused this agent's status report (HTTP ${answer.status}, ${answer.message}): stopped reporting. Put a valid agent token in the token file and restart the agent.`,
          );
        }
        health.deny(answer);
        return;
      }
      if (this.#failing) log.info({ api: api.url }, "status reports reach the API again");
      this.#failing = false;
      health.answered(new Date());
      this.#lastAnswer = { currentRevision: answer.currentRevision, upToDate: answer.upToDate };
      if (answer.reportIntervalSeconds !== undefined) {
        this.#intervalMs = Math.max(MIN_INTERVAL_MS, answer.reportIntervalSeconds * 1000);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      health.failed(reason);
      if (!this.#failing) log.warn({ api: api.url, reason }, "status report failed; retrying");
      this.#failing = true;
    }
  }
}
