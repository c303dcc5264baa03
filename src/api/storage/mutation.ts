// Every write goes through commitMutation: one atomic batch that
//   1. fails (CHECK on `guards`) unless the state version is still the one the caller read,
//   2. bumps the state version,
//   3. applies the caller's statements,
//   4. appends the audit record,
// so a mutation decided on stale reads never lands, and no change exists without its audit row.

import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database, Db } from "./database.ts";
import { preparedOnce } from "./prepared.ts";
import { auditLog, guards, stateVersion } from "./schema.ts";

export interface AuditEntry {
  readonly actor: string;
  readonly verb: string;
  readonly input: unknown;
  readonly outcome: string;
}

/** The state version changed between the caller's reads and its write. */
export class StaleStateError extends Error {
  constructor() {
    super("state changed since it was read");
    this.name = "StaleStateError";
  }
}

export async function readStateVersion(database: Database): Promise<number> {
  const query = preparedOnce(database, "readStateVersion", (db) =>
    db
      .select({ value: stateVersion.value })
      .from(stateVersion)
      .where(eq(stateVersion.id, 1))
      .prepare(),
  );
  return (await query.get())?.value ?? 0;
}

function messagesOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" | ");
}

export function isGuardFailure(error: unknown): boolean {
  return messagesOf(error).includes("guard_state_unchanged");
}

export function isUniqueViolation(error: unknown): boolean {
  return /UNIQUE constraint failed|PRIMARY KEY/i.test(messagesOf(error));
}

export async function commitMutation(
  database: Database,
  mutation: {
    readonly readVersion: number;
    readonly at: string;
    readonly audit: Omit<AuditEntry, "outcome">;
    /** Statements to apply; `version` is the new state version (config revisions take it). */
    readonly statements: (db: Db, version: number) => BatchItem<"sqlite">[];
  },
): Promise<number> {
  const { db } = database;
  const version = mutation.readVersion + 1;
  const items: BatchItem<"sqlite">[] = [
    db.insert(guards).select(
      db
        .select({ ok: sql<number>`(${stateVersion.value} = ${mutation.readVersion})`.as("ok") })
        .from(stateVersion)
        .where(eq(stateVersion.id, 1)),
    ),
    db.update(stateVersion).set({ value: version }).where(eq(stateVersion.id, 1)),
    ...mutation.statements(db, version),
    auditInsert(db, { ...mutation.audit, outcome: "ok" }, mutation.at),
    db.delete(guards),
  ];
  try {
    await database.batch(items);
  } catch (error) {
    if (isGuardFailure(error)) throw new StaleStateError();
    throw error;
  }
  return version;
}

function auditInsert(db: Db, entry: AuditEntry, at: string): BatchItem<"sqlite"> {
  return db.insert(auditLog).values({
    at,
    actor: entry.actor,
    verb: entry.verb,
    input: JSON.stringify(entry.input ?? null),
    outcome: entry.outcome,
  });
}

/** Records a refused mutation (forbidden, conflict, ...) on its own: nothing else was written. */
export async function recordRefusal(database: Database, entry: AuditEntry, at: string) {
  await database.batch([auditInsert(database.db, entry, at)]);
}

/** An audit record as a batch statement, for writers outside commitMutation (the reconciler). */
export function auditStatement(db: Db, entry: AuditEntry, at: string): BatchItem<"sqlite"> {
  return auditInsert(db, entry, at);
}

export interface AuditRecord {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly verb: string;
  readonly input: unknown;
  readonly outcome: string;
}

export async function listAudit(database: Database, limit: number): Promise<AuditRecord[]> {
  const rows = await database.db
    .select()
    .from(auditLog)
    .orderBy(sql`${auditLog.id} DESC`)
    .limit(limit)
    .all();
  return rows.map((row) => ({ ...row, input: JSON.parse(row.input) as unknown }));
}
