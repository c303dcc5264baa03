// What the agent knows about its link to the control API, shared by the config poller, the
// status reporter and `agent doctor`: when the API last answered, the last failure, and whether
// it refused the token (then nobody calls it again until the agent restarts).
import type { Denied } from "./api-link.ts";

export interface LinkSnapshot {
  readonly url: string;
  readonly lastAnswerAt: string | undefined;
  readonly lastError: string | undefined;
  readonly denied: Denied | undefined;
}

export class LinkHealth {
  readonly url: string;
  #lastAnswerAt: Date | undefined;
  #lastError: string | undefined;
  #denied: Denied | undefined;
  readonly #onDenied = new Set<(denied: Denied) => void>();

  constructor(url: string) {
    this.url = url;
  }

  get denied(): Denied | undefined {
    return this.#denied;
  }

  answered(at: Date): void {
    this.#lastAnswerAt = at;
    this.#lastError = undefined;
  }

  failed(reason: string): void {
    this.#lastError = reason;
  }

  /** The first denial wins and is announced once; later ones change nothing. */
  deny(denied: Denied): void {
    if (this.#denied) return;
    this.#denied = denied;
    for (const listener of this.#onDenied) listener(denied);
  }

  onDenied(listener: (denied: Denied) => void): void {
    this.#onDenied.add(listener);
  }

  snapshot(): LinkSnapshot {
    return {
      url: this.url,
      lastAnswerAt: this.#lastAnswerAt?.toISOString(),
      lastError: this.#lastError,
      denied: this.#denied,
    };
  }
}
