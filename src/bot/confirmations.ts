// Keeps posted confirmations true: after a reconcile run or an agent report, each open
// confirmation is rendered again from the current status and updated with chat.update when its
// text changed; once nothing more can change it is closed. Runs are serialized and coalesced:
// a refresh asked for while one runs makes exactly one more run after it.
import type { RelayBackend } from "./backend/backend.ts";
import { renderConfirmation } from "./confirmation-view.ts";
import type { SlackWebApi } from "./slack/web-api.ts";

export class ConfirmationRefresher {
  readonly #backend: RelayBackend;
  readonly #slack: SlackWebApi;
  readonly #now: () => Date;
  readonly #logError: (error: unknown, what: string) => void;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: {
    backend: RelayBackend;
    slack: SlackWebApi;
    now: () => Date;
    logError: (error: unknown, what: string) => void;
  }) {
    this.#backend = options.backend;
    this.#slack = options.slack;
    this.#now = options.now;
    this.#logError = options.logError;
  }

  /** Resolves when the confirmations reflect the state as of this call. Never rejects. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#refreshOnce().catch((error) => this.#logError(error, "refresh confirmations"));
      } while (this.#again);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #refreshOnce(): Promise<void> {
    const open = await this.#backend.confirmations.listOpen();
    if (open.length === 0) return;
    const status = await this.#backend.getStatus(undefined);
    for (const confirmation of open) {
      const view = renderConfirmation(confirmation, status, this.#now());
      const rendered = JSON.stringify(view.message.blocks);
      if (rendered === confirmation.rendered && !view.done) continue;
      try {
        if (rendered !== confirmation.rendered) {
          await this.#slack.updateMessage(
            confirmation.channel,
            confirmation.messageTs,
            view.message,
          );
        }
        await this.#backend.confirmations.save({
          id: confirmation.id,
          rendered,
          closed: view.done,
        });
      } catch (error) {
        this.#logError(error, `update confirmation ${confirmation.id}`);
      }
    }
  }
}
