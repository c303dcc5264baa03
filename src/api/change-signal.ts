// Wake-ups for long polls. Node: one process holds every waiter, so a commit resolves them at
// once. Workers: isolates share nothing, so a waiter just sleeps a short interval and re-reads.
import type { ChangeSignal } from "./services/get-agent-config.ts";

export class InProcessNotifier implements ChangeSignal {
  readonly #waiters = new Set<() => void>();

  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  get waiting(): number {
    return this.#waiters.size;
  }
}

export class PollingSignal implements ChangeSignal {
  readonly #intervalMs: number;
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.min(this.#intervalMs, timeoutMs)));
  }
}
