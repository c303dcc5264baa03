// Drizzle builds SQL text on every call, which costs more than running the query on SQLite.
// Queries on request paths are built once per database with placeholders and reused.
import type { Database, Db } from "./database.ts";

const caches = new WeakMap<Database, Map<string, unknown>>();

export function preparedOnce<T>(database: Database, key: string, build: (db: Db) => T): T {
  let cache = caches.get(database);
  if (!cache) {
    cache = new Map();
    caches.set(database, cache);
  }
  let query = cache.get(key) as T | undefined;
  if (query === undefined) {
    query = build(database.db);
    cache.set(key, query);
  }
  return query;
}
