// The remote backend: the control API over HTTP with an operator token (`nat64-relay bot`).
// The calls go through the typed API client the operator CLI uses (src/client/api-client.ts):
// answers are checked with the API's own output schemas and error bodies become the same
// RelayError codes the services throw.
import { ApiClient } from "../../client/api-client.ts";
import type { ConfirmationStore, RelayBackend, SlackActor } from "./backend.ts";
import { MemoryConfirmationStore } from "./memory-confirmations.ts";

export class HttpBackend implements RelayBackend {
  readonly #api: ApiClient;
  readonly #log: (text: string) => void;
  readonly confirmations: ConfirmationStore;

  constructor(options: {
    apiUrl: string;
    token: string;
    fetch?: typeof fetch;
    now?: () => Date;
    log?: (text: string) => void;
  }) {
    this.#api = new ApiClient({
      apiUrl: options.apiUrl,
      token: options.token,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#log = options.log ?? (() => {});
    this.confirmations = new MemoryConfirmationStore(options.now);
  }

  addSplitDomain(_actor: SlackActor, input: { name: string; realSuffix: string; relay: string }) {
    return this.#api.addSplitDomain(input);
  }

  removeSplitDomain(_actor: SlackActor, input: { name: string; ifMatch: string }) {
    return this.#api.removeSplitDomain(input.name, input.ifMatch);
  }

  getSplitDomain(_actor: SlackActor, name: string) {
    return this.#api.getSplitDomain(name);
  }

  listSplitDomains() {
    return this.#api.listSplitDomains();
  }

  listRelays() {
    return this.#api.listRelays();
  }

  getStatus() {
    return this.#api.getStatus();
  }

  /** No HTTP route takes Slack refusals: they go to the bot's own log. */
  async recordRefusal(actor: SlackActor, verb: string, input: Record<string, unknown>) {
    this.#log(`refused slack:${actor.teamId}/${actor.userId} ${verb} ${JSON.stringify(input)}`);
  }
}
