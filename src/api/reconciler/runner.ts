// Node: runs the reconciler after changes (coalesced, one run at a time) and on a timer.
import type { SyncReport } from "./report.ts";

export class ReconcileRunner {
  readonly #run: () => Promise<SyncReport>;
  readonly #onError: (error: unknown) => void;
  #running: Promise<SyncReport> | undefined;
  #again = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(run: () => Promise<SyncReport>, onError: (error: unknown) => void) {
    this.#run = run;
    this.#onError = onError;
  }

  /** Runs now; if a run is under way, runs once more after it and answers that run. */
  runNow(): Promise<SyncReport> {
    if (!this.#running) {
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    return this.#running.then(
      () => this.runNow(),
      () => this.runNow(),
    );
  }

  /** Schedules a run soon, coalescing bursts of changes into one. */
  request(delayMs = 1000): void {
    if (this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      if (this.#running) {
        this.#again = true;
        return;
      }
      this.runNow()
        .catch(this.#onError)
        .finally(() => {
          if (this.#again) {
            this.#again = false;
            this.request(0);
          }
        });
    }, delayMs);
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.#timer = setInterval(() => this.request(0), intervalMs);
    this.#timer.unref?.();
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#timer = undefined;
    this.#debounce = undefined;
    await this.#running?.catch(() => undefined);
  }
}
