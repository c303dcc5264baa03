// The route harness inside workerd: D1 through drizzle-orm/d1, migrations from migrations/,
// every table emptied before each harness, long polls re-reading D1 (as on Workers).
import { env } from "cloudflare:workers";
import { type AnyD1Database, drizzle } from "drizzle-orm/d1";
import { PollingSignal } from "../../src/api/change-signal.ts";
import { loadWorkerSwaggerUi } from "../../src/api/docs/worker-swagger-ui.ts";
import { databaseOf } from "../../src/api/storage/database.ts";
import { schema } from "../../src/api/storage/schema.ts";
import { type ApiHarness, buildHarness, type HarnessExtra } from "../integration/api/harness.ts";

let migrated = false;

async function migrate(): Promise<void> {
  if (migrated) return;
  await env.DB.prepare(
    "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE)",
  ).run();
  for (const migration of env.TEST_MIGRATIONS) {
    for (const query of migration.queries) await env.DB.prepare(query).run();
  }
  migrated = true;
}

const WIPE = [
  "DELETE FROM relay_nodes",
  "DELETE FROM split_domains",
  "DELETE FROM tokens",
  "DELETE FROM relays",
  "DELETE FROM audit_log",
  "DELETE FROM tailscale_cleanups",
  "DELETE FROM sync_state",
  "DELETE FROM slack_confirmations",
  "DELETE FROM guards",
  "UPDATE state_version SET value = 0",
];

/** Migrates once, then empties every table. */
export async function prepareD1(): Promise<void> {
  await migrate();
  for (const statement of WIPE) await env.DB.prepare(statement).run();
}

export async function d1Harness(
  mode: "apply" | "plan" = "apply",
  extra: HarnessExtra = {},
): Promise<ApiHarness> {
  await prepareD1();
  const database = databaseOf(drizzle(env.DB as unknown as AnyD1Database, { schema }));
  return buildHarness({
    database,
    changeSignal: new PollingSignal(25),
    mode,
    extra,
    loadSwaggerUi: loadWorkerSwaggerUi,
  });
}
