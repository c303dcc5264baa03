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
 * Split domains that could clash with a new mapping `name` → `realSuffix`: same name, one name
 * inside the other, `name` nesting with their real suffix, or `realSuffix` nesting with their
 * name (lookups of the real names would come back through the relay: a loop).
 * checkSplitDomain decides; this only narrows, with index lookups only: names at or above X
 * are among X's ancestors, names below X are one range of the reversed-label index.
 */
export async function findSplitDomainClashCandidates(
  database: Database,
  candidate: { name: string; realSuffix: string },
): Promise<{ name: string; realSuffix: string }[]> {
  const query = preparedOnce(database, "findSplitDomainClashCandidates", (db) => {
    const nameAncestors = sql`(SELECT value FROM json_each(${sql.placeholder("nameAncestors")}))`;
    const nameFrom = sql.placeholder("belowName");
    const nameTo = sql.placeholder("belowNameEnd");
    const suffixAncestors = sql`(SELECT value FROM json_each(${sql.placeholder("suffixAncestors")}))`;
    const suffixFrom = sql.placeholder("belowSuffix");
    const suffixTo = sql.placeholder("belowSuffixEnd");
    return db
      .select({ name: splitDomains.name, realSuffix: splitDomains.realSuffix })
      .from(splitDomains)
      .where(
        or(
          // Their name against the new name.
          sql`${splitDomains.name} IN ${nameAncestors}`,
          sql`(${splitDomains.reversedName} >= ${nameFrom} AND ${splitDomains.reversedName} < ${nameTo})`,
          // Their real suffix against the new name.
          sql`${splitDomains.realSuffix} IN ${nameAncestors}`,
          sql`(${splitDomains.reversedRealSuffix} >= ${nameFrom} AND ${splitDomains.reversedRealSuffix} < ${nameTo})`,
          // Their name against the new real suffix.
          sql`${splitDomains.name} IN ${suffixAncestors}`,
          sql`(${splitDomains.reversedName} >= ${suffixFrom} AND ${splitDomains.reversedName} < ${suffixTo})`,
        ),
      )
      .prepare();
  });
  const name = reverseLabels(candidate.name);
  const suffix = reverseLabels(candidate.realSuffix);
  return query.all({
    nameAncestors: JSON.stringify(selfAndAncestors(candidate.name)),
    // "." is followed by "/" in ASCII: [R + ".", R + "/") holds exactly the names below R.
    belowName: `${name}.`,
    belowNameEnd: `${name}/`,
    suffixAncestors: JSON.stringify(selfAndAncestors(candidate.realSuffix)),
    belowSuffix: `${suffix}.`,
    belowSuffixEnd: `${suffix}/`,
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
