// node:sqlite (built into Node 24, no native addon to compile) behind drizzle's sqlite-proxy
// driver. Batches run inside BEGIN IMMEDIATE ... COMMIT, rolled back on the first error, which
// gives the same all-or-nothing batch D1 gives.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import { migrate } from "drizzle-orm/sqlite-proxy/migrator";
import { createMutex, type Database, databaseOf } from "./database.ts";
import { schema } from "./schema.ts";

type Method = "run" | "all" | "values" | "get";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../migrations", import.meta.url));

export interface NodeDatabase {
  readonly database: Database;
  close(): void;
}

function toParams(params: unknown[]): SQLInputValue[] {
  return params.map((value) => {
    if (value === undefined) return null;
    if (typeof value === "boolean") return value ? 1 : 0;
    return value as SQLInputValue;
  });
}

/** Opens (creating directories and the file if needed) and migrates the database at `path`. */
export async function openNodeDatabase(path: string): Promise<NodeDatabase> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new DatabaseSync(path, { enableForeignKeyConstraints: true });
  sqlite.exec(
    // One server process owns the file: exclusive locking spares a lock round-trip per read
    // (and makes a second server on the same file fail instead of interleaving).
    "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;",
  );
  const statements = new Map<string, StatementSync>();
  const prepare = (text: string): StatementSync => {
    let statement = statements.get(text);
    if (!statement) {
      statement = sqlite.prepare(text);
      statement.setReturnArrays(true);
      statements.set(text, statement);
    }
    return statement;
  };
  const execute = (text: string, params: unknown[], method: Method): { rows: unknown[] } => {
    const statement = prepare(text);
    const values = toParams(params);
    if (method === "run") {
      statement.run(...values);
      return { rows: [] };
    }
    if (method === "get") return { rows: statement.get(...values) as unknown as unknown[] };
    return { rows: statement.all(...values) as unknown[] };
  };

  const db = drizzle(
    async (text, params, method) => execute(text, params, method),
    async (queries) => {
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        const results = queries.map((query) => execute(query.sql, query.params, query.method));
        sqlite.exec("COMMIT");
        return results;
      } catch (error) {
        sqlite.exec("ROLLBACK");
        throw error;
      }
    },
    { schema },
  );

  await migrate(
    db,
    async (queries) => {
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        for (const query of queries) sqlite.exec(query);
        sqlite.exec("COMMIT");
      } catch (error) {
        sqlite.exec("ROLLBACK");
        throw error;
      }
    },
    { migrationsFolder: MIGRATIONS_FOLDER },
  );

  return {
    database: databaseOf(db, createMutex()),
    close: () => sqlite.close(),
  };
}
