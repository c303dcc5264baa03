// Confirmations kept in the bot's own memory, for `nat64-relay bot` against a remote API (the
// API's table is not reachable over HTTP). Lost on restart: those messages just stop updating.
import type {
  RecordSlackConfirmationInput,
  SaveSlackConfirmationInput,
  SlackConfirmation,
} from "../../api/services/slack-confirmations.ts";
import type { ConfirmationStore, SlackActor } from "./backend.ts";

/** Bounded: the oldest open confirmation is dropped past this many. */
const MAX_OPEN = 500;

export class MemoryConfirmationStore implements ConfirmationStore {
  readonly #open = new Map<number, SlackConfirmation>();
  readonly #now: () => Date;
  #nextId = 1;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  async record(actor: SlackActor, input: RecordSlackConfirmationInput) {
    const confirmation: SlackConfirmation = {
      ...input,
      warnings: [...input.warnings],
      id: this.#nextId++,
      requestedBy: `slack:${actor.teamId}/${actor.userId}`,
      createdAt: this.#now().toISOString(),
    };
    this.#open.set(confirmation.id, confirmation);
    if (this.#open.size > MAX_OPEN) this.#open.delete(this.#open.keys().next().value!);
    return confirmation;
  }

  async listOpen() {
    return [...this.#open.values()];
  }

  async save(input: SaveSlackConfirmationInput) {
    const known = this.#open.get(input.id);
    if (!known) return;
    if (input.closed) this.#open.delete(input.id);
    else this.#open.set(input.id, { ...known, rendered: input.rendered });
  }
}
