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

/** `a` equals `b` or lies below it, in SQL: exact, no LIKE wildcards. */
function atOrBelow(a: unknown, b: unknown) {
  return sql`(${a} = ${b} OR substr(${a}, -length(${b}) - 1) = '.' || ${b})`;
}

/**
 * Split domains that could clash with a new one named `name`: same name, one name inside the
 * other, or `name` nesting with their real suffix. checkSplitDomain decides; this only narrows.
 */
export async function findSplitDomainClashCandidates(
  database: Database,
  name: string,
): Promise<{ name: string; realSuffix: string }[]> {
  const query = preparedOnce(database, "findSplitDomainClashCandidates", (db) => {
    const candidate = sql.placeholder("name");
    return db
      .select({ name: splitDomains.name, realSuffix: splitDomains.realSuffix })
      .from(splitDomains)
      .where(
        or(
          atOrBelow(candidate, splitDomains.name),
          atOrBelow(splitDomains.name, candidate),
          atOrBelow(candidate, splitDomains.realSuffix),
          atOrBelow(splitDomains.realSuffix, candidate),
        ),
      )
      .prepare();
  });
  return query.all({ name });
}

export function insertSplitDomain(
  db: Db,
  domain: { name: string; realSuffix: string; relayId: string; createdBy: string; at: string },
): BatchItem<"sqlite"> {
  return db.insert(splitDomains).values({
    name: domain.name,
    realSuffix: domain.realSuffix,
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
