// API token rows. Only the SHA-256 of a secret is stored.
import { and, count, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database, Db } from "./database.ts";
import { preparedOnce } from "./prepared.ts";
import { relays, tokens } from "./schema.ts";

export type TokenScope = "admin" | "operator" | "agent";

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: TokenScope;
  readonly relayId: string | null;
  readonly relayName: string | null;
  readonly secretHash: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

const columns = {
  id: tokens.id,
  name: tokens.name,
  scope: tokens.scope,
  relayId: tokens.relayId,
  relayName: relays.name,
  secretHash: tokens.secretHash,
  createdBy: tokens.createdBy,
  createdAt: tokens.createdAt,
  lastUsedAt: tokens.lastUsedAt,
  revokedAt: tokens.revokedAt,
};

/** Every request authenticates: the query is built once per database and reused. */
export async function findToken(database: Database, id: string): Promise<TokenRecord | undefined> {
  const query = preparedOnce(database, "findToken", (db) =>
    db
      .select(columns)
      .from(tokens)
      .leftJoin(relays, eq(relays.id, tokens.relayId))
      .where(eq(tokens.id, sql.placeholder("id")))
      .prepare(),
  );
  return query.get({ id });
}

export async function listTokens(database: Database): Promise<TokenRecord[]> {
  return database.db
    .select(columns)
    .from(tokens)
    .leftJoin(relays, eq(relays.id, tokens.relayId))
    .orderBy(tokens.createdAt, tokens.id)
    .all();
}

/** Number of token rows ever created and kept (revoked ones count): 0 means first start. */
export async function countTokens(database: Database): Promise<number> {
  const row = await database.db.select({ n: count() }).from(tokens).get();
  return row?.n ?? 0;
}

export function insertToken(
  db: Db,
  token: Omit<TokenRecord, "relayName" | "lastUsedAt" | "revokedAt">,
): BatchItem<"sqlite"> {
  return db.insert(tokens).values({ ...token, lastUsedAt: null, revokedAt: null });
}

export function revokeToken(db: Db, id: string, at: string): BatchItem<"sqlite"> {
  return db
    .update(tokens)
    .set({ revokedAt: at })
    .where(and(eq(tokens.id, id), isNull(tokens.revokedAt)));
}

/** Bookkeeping, not a mutation of managed state: no audit record, no state version bump. */
export async function markTokenUsed(database: Database, id: string, at: string): Promise<void> {
  await database.db.update(tokens).set({ lastUsedAt: at }).where(eq(tokens.id, id));
}
