// The shape every "change one existing row" verb shares, written once: the caller's scope is
// checked and refusals are audited; then, on fresh state, read the state version, find the row
// (404), check If-Match against its ETag (412), let the verb decide what to write, and commit
// that with its audit record in one batch; last, announce the change. A verb states only what
// differs: how to find its row, what to write, and what it answers.
import type { BatchItem } from "drizzle-orm/batch";
import { RelayError } from "../../core/errors.ts";
import type { Database, Db } from "../storage/database.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import {
  actorOf,
  auditRefusals,
  type ChangeKind,
  isoNow,
  requireScope,
  type ServiceContext,
  withFreshState,
} from "./context.ts";
import { ifMatchAccepts } from "./schemas.ts";

/** What a verb writes: its audit input and its statements (`version`: the new state version). */
export interface RowWrite {
  readonly audit: unknown;
  readonly statements: (db: Db, version: number) => BatchItem<"sqlite">[];
}

export interface ExistingRowChange<Row, Parsed, Result> {
  /** Audit verb, e.g. "relay.delete": on the committed record and on refusals alike. */
  readonly verb: string;
  readonly scope: "admin" | "operator";
  /** The verb's raw input, recorded with a refusal. */
  readonly input: unknown;
  /** Validates the input after the scope check and before any read (so 400 comes before 404). */
  readonly parse?: () => Parsed;
  readonly find: (database: Database) => Promise<Row | undefined>;
  readonly notFound: string;
  /**
   * Optimistic concurrency: the If-Match sent (absent: no precondition), the row's ETag
   * version, and how a 412 names the row. Omitted for rows without an ETag.
   */
  readonly ifMatch?: {
    readonly sent: string | undefined;
    readonly versionOf: (row: Row) => number;
    readonly label: string;
  };
  /** Reads what the decision needs and answers the write; undefined: nothing to change. */
  readonly decide: (row: Row, parsed: Parsed, at: string) => Promise<RowWrite | undefined>;
  /** Announced after a commit (wakes long polls, schedules a reconcile). */
  readonly changed?: readonly ChangeKind[];
  /** The answer, read on the same fresh state after the commit. */
  readonly answer?: (row: Row) => Promise<Result>;
}

export async function changeExisting<Row, Parsed = undefined, Result = void>(
  ctx: ServiceContext,
  change: ExistingRowChange<Row, Parsed, Result>,
): Promise<Result> {
  return auditRefusals(ctx, change.verb, change.input, async () => {
    requireScope(ctx.caller, change.scope);
    const parsed = change.parse?.() as Parsed;
    let wrote = false;
    const result = await withFreshState(ctx, async () => {
      const readVersion = await readStateVersion(ctx.database);
      const row = await change.find(ctx.database);
      if (!row) throw new RelayError("not_found", change.notFound);
      const { ifMatch } = change;
      if (ifMatch && !ifMatchAccepts(ifMatch.sent, ifMatch.versionOf(row))) {
        throw new RelayError(
          "precondition_failed",
          `${ifMatch.label} changed: If-Match ${ifMatch.sent} but its ETag is "${ifMatch.versionOf(row)}"; GET it again`,
        );
      }
      const at = isoNow(ctx);
      const write = await change.decide(row, parsed, at);
      wrote = write !== undefined;
      if (write) {
        await commitMutation(ctx.database, {
          readVersion,
          at,
          audit: { actor: actorOf(ctx.caller), verb: change.verb, input: write.audit },
          statements: write.statements,
        });
      }
      return (await change.answer?.(row)) as Result;
    });
    if (wrote && change.changed) ctx.changed(change.changed);
    return result;
  });
}
