// The route harness on Node: a fresh SQLite file per harness, the in-process notifier.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InProcessNotifier } from "../../../src/api/change-signal.ts";
import { loadNodeSwaggerUi } from "../../../src/api/docs/node-swagger-ui.ts";
import { openNodeDatabase } from "../../../src/api/storage/node-sqlite.ts";
import { type ApiHarness, buildHarness, type HarnessExtra } from "./harness.ts";

export async function nodeHarness(
  mode: "apply" | "plan" = "apply",
  extra: HarnessExtra = {},
): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), "nat64-relay-api-"));
  const { database, close } = await openNodeDatabase(join(dir, "api.db"));
  const notifier = new InProcessNotifier();
  return buildHarness({
    database,
    changeSignal: notifier,
    notify: () => notifier.notify(),
    mode,
    extra,
    loadSwaggerUi: loadNodeSwaggerUi,
    close: async () => {
      close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
