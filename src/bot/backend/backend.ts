// What the bot needs from nat64-relay: the service verbs, called as a Slack user. Two
// implementations: in-process (the API's own services and database) and remote (the HTTP API
// with an operator token, for `nat64-relay bot`). Commands never see which one they have.
import type { AddSplitDomainOutput } from "../../api/services/add-split-domain.ts";
import type { StatusOutput } from "../../api/services/get-status.ts";
import type { RelayView } from "../../api/services/schemas.ts";
import type {
  RecordSlackConfirmationInput,
  SaveSlackConfirmationInput,
  SlackConfirmation,
} from "../../api/services/slack-confirmations.ts";
import type { SplitDomainView } from "../../api/services/split-domain-view.ts";

/** The Slack user a call is made for (audit: slack:T…/U…). */
export interface SlackActor {
  readonly teamId: string;
  readonly userId: string;
}

export interface RelayBackend {
  addSplitDomain(
    actor: SlackActor,
    input: { name: string; realSuffix: string; relay: string },
  ): Promise<AddSplitDomainOutput>;
  /** `ifMatch`: the ETag shown when the removal was asked for; a change since answers 412. */
  removeSplitDomain(actor: SlackActor, input: { name: string; ifMatch: string }): Promise<void>;
  getSplitDomain(actor: SlackActor, name: string): Promise<SplitDomainView>;
  listSplitDomains(actor: SlackActor): Promise<SplitDomainView[]>;
  listRelays(actor: SlackActor): Promise<RelayView[]>;
  /** Actor undefined: the bot itself (refreshing confirmations). */
  getStatus(actor: SlackActor | undefined): Promise<StatusOutput>;
  /** Audits a refusal made by the bot's own rules (allowed users and channels). */
  recordRefusal(actor: SlackActor, verb: string, input: Record<string, unknown>): Promise<void>;
  readonly confirmations: ConfirmationStore;
}

/** Which posted message confirms which change. */
export interface ConfirmationStore {
  record(actor: SlackActor, input: RecordSlackConfirmationInput): Promise<SlackConfirmation>;
  listOpen(): Promise<SlackConfirmation[]>;
  save(input: SaveSlackConfirmationInput): Promise<void>;
}
