// Relay rows and their reported nodes.
import { and, eq, lt, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { z } from "zod";
import type { RelaySettings } from "../../core/config/relay-config.ts";
import type { Database, Db } from "./database.ts";
import { preparedOnce } from "./prepared.ts";
import { relayNodes, relays } from "./schema.ts";

/** Validated relay settings with the prefix always set (the API generates one when absent). */
export type StoredRelaySettings = z.output<typeof RelaySettings> & { prefix: string };

export interface RelayRecord {
  readonly id: string;
  readonly name: string;
  readonly settings: StoredRelaySettings;
  readonly version: number;
  readonly configRevision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface RelayNodeRecord {
  readonly relayId: string;
  readonly nodeId: string;
  readonly hostname: string;
  readonly addresses: string[];
  readonly lastSeenAt: string;
  readonly appliedRevision: number;
  readonly doctor: unknown;
  /** {lastApply, counters} as the agent last sent them, or null. */
  readonly report: unknown;
}

type RelayRow = typeof relays.$inferSelect;

function toRecord(row: RelayRow): RelayRecord {
  return {
    id: row.id,
    name: row.name,
    settings: JSON.parse(row.settings) as StoredRelaySettings,
    version: row.version,
    configRevision: row.configRevision,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function findRelayByName(
  database: Database,
  name: string,
): Promise<RelayRecord | undefined> {
  const query = preparedOnce(database, "findRelayByName", (db) =>
    db
      .select()
      .from(relays)
      .where(eq(relays.name, sql.placeholder("name")))
      .prepare(),
  );
  const row = await query.get({ name });
  return row && toRecord(row);
}

export async function findRelayById(
  database: Database,
  id: string,
): Promise<RelayRecord | undefined> {
  const query = preparedOnce(database, "findRelayById", (db) =>
    db
      .select()
      .from(relays)
      .where(eq(relays.id, sql.placeholder("id")))
      .prepare(),
  );
  const row = await query.get({ id });
  return row && toRecord(row);
}

/** The one query on the agent's hot path (304 answers). */
export async function findRelayRevision(
  database: Database,
  id: string,
): Promise<number | undefined> {
  const query = preparedOnce(database, "findRelayRevision", (db) =>
    db
      .select({ configRevision: relays.configRevision })
      .from(relays)
      .where(eq(relays.id, sql.placeholder("id")))
      .prepare(),
  );
  return (await query.get({ id }))?.configRevision;
}

export async function listRelays(database: Database): Promise<RelayRecord[]> {
  const rows = await database.db.select().from(relays).orderBy(relays.name).all();
  return rows.map(toRecord);
}

export function insertRelay(
  db: Db,
  relay: { id: string; name: string; settings: StoredRelaySettings; at: string },
  configRevision: number,
): BatchItem<"sqlite"> {
  return db.insert(relays).values({
    id: relay.id,
    name: relay.name,
    prefix: relay.settings.prefix,
    pool: relay.settings.pool,
    engine: relay.settings.engine,
    settings: JSON.stringify(relay.settings),
    version: 1,
    configRevision,
    createdAt: relay.at,
    updatedAt: relay.at,
  });
}

export function updateRelaySettings(
  db: Db,
  relay: RelayRecord,
  settings: StoredRelaySettings,
  at: string,
  configRevision: number,
): BatchItem<"sqlite"> {
  return db
    .update(relays)
    .set({
      prefix: settings.prefix,
      pool: settings.pool,
      engine: settings.engine,
      settings: JSON.stringify(settings),
      version: relay.version + 1,
      configRevision,
      updatedAt: at,
    })
    .where(eq(relays.id, relay.id));
}

/** Marks the relay's agent config as changed (a split domain of it came or went). */
export function touchRelayConfig(
  db: Db,
  relayId: string,
  configRevision: number,
): BatchItem<"sqlite"> {
  return db.update(relays).set({ configRevision }).where(eq(relays.id, relayId));
}

export function deleteRelay(db: Db, relayId: string): BatchItem<"sqlite"> {
  return db.delete(relays).where(eq(relays.id, relayId));
}

type NodeRow = typeof relayNodes.$inferSelect;

function toNodeRecord(row: NodeRow): RelayNodeRecord {
  return {
    relayId: row.relayId,
    nodeId: row.nodeId,
    hostname: row.hostname,
    addresses: JSON.parse(row.addresses) as string[],
    lastSeenAt: row.lastSeenAt,
    appliedRevision: row.appliedRevision,
    doctor: row.doctor === null ? null : (JSON.parse(row.doctor) as unknown),
    report: row.report === null ? null : (JSON.parse(row.report) as unknown),
  };
}

export async function listRelayNodes(
  database: Database,
  relayId?: string,
): Promise<RelayNodeRecord[]> {
  const query = database.db.select().from(relayNodes);
  const rows = relayId
    ? await query.where(eq(relayNodes.relayId, relayId)).orderBy(relayNodes.nodeId).all()
    : await query.orderBy(relayNodes.relayId, relayNodes.nodeId).all();
  return rows.map(toNodeRecord);
}

export async function findRelayNode(
  database: Database,
  relayId: string,
  nodeId: string,
): Promise<RelayNodeRecord | undefined> {
  const row = await database.db
    .select()
    .from(relayNodes)
    .where(and(eq(relayNodes.relayId, relayId), eq(relayNodes.nodeId, nodeId)))
    .get();
  return row && toNodeRecord(row);
}

export async function countRelayNodes(database: Database, relayId: string): Promise<number> {
  const row = await database.db
    .select({ count: sql<number>`count(*)` })
    .from(relayNodes)
    .where(eq(relayNodes.relayId, relayId))
    .get();
  return Number(row?.count ?? 0);
}

/** Deletes a relay's nodes whose last report is older than `before` (ISO time). */
export function deleteSilentRelayNodes(
  db: Db,
  relayId: string,
  before: string,
): BatchItem<"sqlite"> {
  return db
    .delete(relayNodes)
    .where(and(eq(relayNodes.relayId, relayId), lt(relayNodes.lastSeenAt, before)));
}

export function upsertRelayNode(db: Db, node: RelayNodeRecord): BatchItem<"sqlite"> {
  const values = {
    relayId: node.relayId,
    nodeId: node.nodeId,
    hostname: node.hostname,
    addresses: JSON.stringify(node.addresses),
    lastSeenAt: node.lastSeenAt,
    appliedRevision: node.appliedRevision,
    doctor: node.doctor === null || node.doctor === undefined ? null : JSON.stringify(node.doctor),
    report: node.report === null || node.report === undefined ? null : JSON.stringify(node.report),
  };
  return db
    .insert(relayNodes)
    .values(values)
    .onConflictDoUpdate({
      target: [relayNodes.relayId, relayNodes.nodeId],
      set: {
        hostname: sql`excluded.hostname`,
        addresses: sql`excluded.addresses`,
        lastSeenAt: sql`excluded.last_seen_at`,
        appliedRevision: sql`excluded.applied_revision`,
        doctor: sql`excluded.doctor`,
        report: sql`excluded.report`,
      },
    });
}
