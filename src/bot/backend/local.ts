// The in-process backend: the API's service verbs over its database, the caller a Slack user
// (type "slack"), so permission checks and audit rows read as for any other transport.
import { addSplitDomain } from "../../api/services/add-split-domain.ts";
import type { Caller, ChangeKind, ServiceContext } from "../../api/services/context.ts";
import { getSplitDomain } from "../../api/services/get-split-domain.ts";
import { getStatus } from "../../api/services/get-status.ts";
import { listRelays } from "../../api/services/list-relays.ts";
import { listSplitDomains } from "../../api/services/list-split-domains.ts";
import { recordSlackRefusal } from "../../api/services/record-slack-refusal.ts";
import { removeSplitDomain } from "../../api/services/remove-split-domain.ts";
import {
  listOpenSlackConfirmations,
  recordSlackConfirmation,
  saveSlackConfirmation,
} from "../../api/services/slack-confirmations.ts";
import type { Database } from "../../api/storage/database.ts";
import type { RelayBackend, SlackActor } from "./backend.ts";

export function localBackend(options: {
  database: Database;
  now: () => Date;
  /** After a commit: the same hook the HTTP transport calls (agents, reconcile). */
  changed: (kinds: readonly ChangeKind[]) => void;
  /** AGENT_REPORT_INTERVAL_SECONDS: a node silent for 3 intervals is down in the status. */
  reportIntervalSeconds: number;
}): RelayBackend {
  // The bot has already checked SLACK_ALLOWED_USERS / _USERGROUPS before a mutation.
  const ctx = (actor: SlackActor | undefined): ServiceContext => {
    const caller: Caller = actor
      ? { type: "slack", teamId: actor.teamId, userId: actor.userId, scope: "operator" }
      : { type: "system" };
    return { database: options.database, caller, now: options.now, changed: options.changed };
  };
  return {
    addSplitDomain: (actor, input) => addSplitDomain({ ctx: ctx(actor), input }),
    removeSplitDomain: (actor, input) => removeSplitDomain({ ctx: ctx(actor), input }),
    getSplitDomain: (actor, name) => getSplitDomain({ ctx: ctx(actor), input: { name } }),
    listSplitDomains: (actor) => listSplitDomains({ ctx: ctx(actor) }),
    listRelays: (actor) => listRelays({ ctx: ctx(actor) }),
    getStatus: (actor) =>
      getStatus({ ctx: ctx(actor), reportIntervalSeconds: options.reportIntervalSeconds }),
    recordRefusal: (actor, verb, input) =>
      recordSlackRefusal({ ctx: ctx(actor), input: { verb, input, outcome: "forbidden" } }),
    confirmations: {
      record: (actor, input) => recordSlackConfirmation({ ctx: ctx(actor), input }),
      listOpen: () => listOpenSlackConfirmations({ ctx: ctx(undefined) }),
      save: (input) => saveSlackConfirmation({ ctx: ctx(undefined), input }),
    },
  };
}
