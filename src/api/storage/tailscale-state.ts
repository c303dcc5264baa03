// What the reconciler must take back from Tailscale, and its last report.
import { and, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database, Db } from "./database.ts";
import { type AuditEntry, auditStatement } from "./mutation.ts";
import { syncState, tailscaleCleanups } from "./schema.ts";

export interface CleanupRecord {
  readonly id: number;
  readonly kind: "split_dns" | "route";
  readonly target: string;
  readonly nodeId: string;
}

export function insertCleanup(
  db: Db,
  cleanup: { kind: "split_dns" | "route"; target: string; nodeId?: string; at: string },
): BatchItem<"sqlite"> {
  return db
    .insert(tailscaleCleanups)
    .values({
      kind: cleanup.kind,
      target: cleanup.target,
      nodeId: cleanup.nodeId ?? "",
      createdAt: cleanup.at,
    })
    .onConflictDoNothing();
}

/** A split domain that comes back is ours again: it is no longer something to remove. */
export function cancelSplitDnsCleanup(db: Db, domain: string): BatchItem<"sqlite"> {
  return db
    .delete(tailscaleCleanups)
    .where(and(eq(tailscaleCleanups.kind, "split_dns"), eq(tailscaleCleanups.target, domain)));
}

export async function listCleanups(database: Database): Promise<CleanupRecord[]> {
  return database.db
    .select({
      id: tailscaleCleanups.id,
      kind: tailscaleCleanups.kind,
      target: tailscaleCleanups.target,
      nodeId: tailscaleCleanups.nodeId,
    })
    .from(tailscaleCleanups)
    .orderBy(tailscaleCleanups.id)
    .all();
}

export async function deleteCleanup(database: Database, id: number): Promise<void> {
  await database.db.delete(tailscaleCleanups).where(eq(tailscaleCleanups.id, id));
}

export async function readSyncReport(database: Database): Promise<unknown> {
  const row = await database.db.select().from(syncState).where(eq(syncState.id, 1)).get();
  return row ? (JSON.parse(row.report) as unknown) : undefined;
}

/**
 * Stores the reconciler's report; when the run changed Tailscale, its audit record goes in the
 * same batch.
 */
export async function writeSyncReport(
  database: Database,
  report: unknown,
  at: string,
  audit?: AuditEntry,
): Promise<void> {
  const text = JSON.stringify(report);
  const { db } = database;
  await database.batch([
    db
      .insert(syncState)
      .values({ id: 1, report: text, updatedAt: at })
      .onConflictDoUpdate({ target: syncState.id, set: { report: text, updatedAt: at } }),
    ...(audit ? [auditStatement(db, audit, at)] : []),
  ]);
}
