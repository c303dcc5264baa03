// When a DNS worker dies, the primary starts another, after a wait that doubles with each quick
// death (up to a cap) and starts over once a worker has stayed up a while. A worker that dies at
// start (a bind that fails, a heap limit a hostile cache keeps hitting) then costs a few spawns
// and log lines a minute, not a tight loop; the other workers keep serving meanwhile.
import { type BackoffPolicy, backoffDelay } from "../managed/backoff.ts";

export interface WorkerRestartPolicy extends BackoffPolicy {
  /** A worker that ran this long (ms) before it died counts as a first failure again. */
  readonly stableAfterMs: number;
}

/** First wait 125-250 ms, at most 10 s; a worker up for 30 s starts the series over. */
export const WORKER_RESTART_POLICY: WorkerRestartPolicy = {
  initialMs: 250,
  maxMs: 10_000,
  stableAfterMs: 30_000,
};

/** The clock and timer the schedule uses; the unit tests drive a fake one. */
export interface RestartTimers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: RestartTimers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One worker's life as the schedule sees it. */
export interface WorkerRun {
  readonly startedAt: number;
  /** Quick deaths in a row before this run (0 for a worker started on purpose). */
  readonly failures: number;
}

export interface ScheduledRestart {
  /** The deaths in a row this one makes (1 after a worker that had been stable). */
  readonly failures: number;
  readonly delayMs: number;
}

export class WorkerRestarts {
  private readonly policy: WorkerRestartPolicy;
  private readonly timers: RestartTimers;
  private readonly random: () => number;
  private readonly pending = new Set<unknown>();

  constructor(
    options: { policy?: WorkerRestartPolicy; timers?: RestartTimers; random?: () => number } = {},
  ) {
    this.policy = options.policy ?? WORKER_RESTART_POLICY;
    this.timers = options.timers ?? REAL_TIMERS;
    this.random = options.random ?? Math.random;
  }

  /** A run that starts now, after `failures` quick deaths. */
  run(failures = 0): WorkerRun {
    return { startedAt: this.timers.now(), failures };
  }

  /** After `run` ended: calls `restart` once the wait is over, unless cancelled first. */
  schedule(run: WorkerRun, restart: (failures: number) => void): ScheduledRestart {
    const up = this.timers.now() - run.startedAt;
    const failures = up >= this.policy.stableAfterMs ? 1 : run.failures + 1;
    const delayMs = backoffDelay(failures, this.random, this.policy);
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(handle);
      restart(failures);
    }, delayMs);
    this.pending.add(handle);
    return { failures, delayMs };
  }

  /** Restarts still waiting (the agent is closing): none of them happens. */
  cancelAll(): void {
    for (const handle of this.pending) this.timers.clearTimeout(handle);
    this.pending.clear();
  }

  get waiting(): number {
    return this.pending.size;
  }
}
