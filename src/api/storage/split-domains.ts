// Split domain rows.
import { eq, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database, Db } from "./database.ts";
import { preparedOnce } from "./prepared.ts";
import { relays, splitDomains } from "./schema.ts";

export interface SplitDomainRecord {
  readonly name: string;
  readonly realSuffix: string;
  readonly relayId: string;
  readonly relayName: string;
  readonly createdBy: string;
  readonly version: number;
  readonly createdAt: string;
}

const columns = {
  name: splitDomains.name,
  realSuffix: splitDomains.realSuffix,
  relayId: splitDomains.relayId,
  relayName: relays.name,
  createdBy: splitDomains.createdBy,
  version: splitDomains.version,
  createdAt: splitDomains.createdAt,
};

export async function listSplitDomains(
  database: Database,
  relayId?: string,
): Promise<SplitDomainRecord[]> {
  if (relayId === undefined) {
    return database.db
      .select(columns)
      .from(splitDomains)
      .innerJoin(relays, eq(relays.id, splitDomains.relayId))
      .orderBy(splitDomains.name)
      .all();
  }
  const query = preparedOnce(database, "listSplitDomainsOfRelay", (db) =>
    db
      .select(columns)
      .from(splitDomains)
      .innerJoin(relays, eq(relays.id, splitDomains.relayId))
      .where(eq(splitDomains.relayId, sql.placeholder("relayId")))
      .orderBy(splitDomains.name)
      .prepare(),
  );
  return query.all({ relayId });
}

export async function findSplitDomain(
  database: Database,
  name: string,
): Promise<SplitDomainRecord | undefined> {
  const query = preparedOnce(database, "findSplitDomain", (db) =>
    db
      .select(columns)
      .from(splitDomains)
      .innerJoin(relays, eq(relays.id, splitDomains.relayId))
      .where(eq(splitDomains.name, sql.placeholder("name")))
      .prepare(),
  );
  return query.get({ name });
}

/** "a.r9929" → "r9929.a": the order the reversed_* columns keep. */
export function reverseLabels(name: string): string {
  return name.split(".").reverse().join(".");
}

/** The name itself and every name above it: "a.b.c" → ["a.b.c", "b.c", "c"]. */
function selfAndAncestors(name: string): string[] {
  const labels = name.split(".");
  return labels.map((_, index) => labels.slice(index).join("."));
}

/**
 * Split domains that could clash with a new one named `name`: same name, one name inside the
 * other, or `name` nesting with their real suffix. checkSplitDomain decides; this only narrows,
 * with index lookups only: names at or above `name` are among its ancestors, names below it
 * are one range of the reversed-label index.
 */
export async function findSplitDomainClashCandidates(
  database: Database,
  name: string,
): Promise<{ name: string; realSuffix: string }[]> {
  const query = preparedOnce(database, "findSplitDomainClashCandidates", (db) => {
    const ancestors = sql`(SELECT value FROM json_each(${sql.placeholder("ancestors")}))`;
    const from = sql.placeholder("below");
    const to = sql.placeholder("belowEnd");
    return db
      .select({ name: splitDomains.name, realSuffix: splitDomains.realSuffix })
      .from(splitDomains)
      .where(
        or(
          sql`${splitDomains.name} IN ${ancestors}`,
          sql`(${splitDomains.reversedName} >= ${from} AND ${splitDomains.reversedName} < ${to})`,
          sql`${splitDomains.realSuffix} IN ${ancestors}`,
          sql`(${splitDomains.reversedRealSuffix} >= ${from} AND ${splitDomains.reversedRealSuffix} < ${to})`,
        ),
      )
      .prepare();
  });
  const reversed = reverseLabels(name);
  return query.all({
    ancestors: JSON.stringify(selfAndAncestors(name)),
    // "." is followed by "/" in ASCII: [R + ".", R + "/") holds exactly the names below R.
    below: `${reversed}.`,
    belowEnd: `${reversed}/`,
  });
}

export function insertSplitDomain(
  db: Db,
  domain: { name: string; realSuffix: string; relayId: string; createdBy: string; at: string },
): BatchItem<"sqlite"> {
  return db.insert(splitDomains).values({
    name: domain.name,
    realSuffix: domain.realSuffix,
    reversedName: reverseLabels(domain.name),
    reversedRealSuffix: reverseLabels(domain.realSuffix),
    relayId: domain.relayId,
    createdBy: domain.createdBy,
    version: 1,
    createdAt: domain.at,
  });
}

export function deleteSplitDomain(db: Db, name: string): BatchItem<"sqlite"> {
  return db.delete(splitDomains).where(eq(splitDomains.name, name));
}

export async function countSplitDomainsOfRelay(database: Database, relayId: string) {
  const row = await database.db
    .select({ count: sql<number>`count(*)` })
    .from(splitDomains)
    .where(eq(splitDomains.relayId, relayId))
    .get();
  return row?.count ?? 0;
}
