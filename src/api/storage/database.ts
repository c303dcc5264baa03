// The database handle the services see: a drizzle SQLite database (node:sqlite through the
// sqlite-proxy driver, or D1) plus its atomic batch. Both drivers are async, so one set of
// queries serves both runtimes.
import type { BatchItem } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type { schema } from "./schema.ts";

export type Schema = typeof schema;
export type Db = BaseSQLiteDatabase<"async", unknown, Schema>;

export interface Database {
  readonly db: Db;
  /** Runs the statements as one transaction: all of them apply, or none. */
  batch(items: readonly BatchItem<"sqlite">[]): Promise<unknown[]>;
  /**
   * Runs `work` with no other exclusive work of this process in between. On Node (one process,
   * one connection) this spares optimistic retries; on Workers it is a plain call and the
   * state-version guard alone keeps concurrent writers apart.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

interface BatchingDb {
  batch(items: readonly [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]): Promise<unknown>;
}

export function databaseOf(
  db: Db & BatchingDb,
  exclusive: Database["exclusive"] = (work) => work(),
): Database {
  return {
    db,
    async batch(items) {
      if (items.length === 0) return [];
      return (await db.batch(
        items as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
      )) as unknown[];
    },
    exclusive,
  };
}

/** A promise-chain mutex: work items run one after another in call order. */
export function createMutex(): Database["exclusive"] {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}
