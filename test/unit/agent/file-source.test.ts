// The config file as a source: the first read, a reload on SIGHUP, and one on a file edit
// (also when an editor replaces the file by renaming a new one over it).
import { EventEmitter } from "node:events";
import { mkdtemp, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ApplyResult } from "../../../src/relay-agent/apply-result.ts";
import type { ConfigCandidate } from "../../../src/relay-agent/config-source/config-source.ts";
import { FileConfigSource } from "../../../src/relay-agent/config-source/file-source.ts";

const ok: ApplyResult = {
  ok: true,
  origin: "",
  changedKeys: [],
  hostChanges: [],
  restartRequired: [],
  warnings: [],
};

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), "n64unit-source-"));
  const path = join(dir, "relay.yaml");
  await writeFile(path, "engine: none\n");
  const signals = new EventEmitter();
  const source = new FileConfigSource({ path, signals, settleMs: 20 });
  const seen: ConfigCandidate[] = [];
  return {
    dir,
    path,
    signals,
    source,
    seen,
    handle: async (c: ConfigCandidate) => {
      seen.push(c);
      return ok;
    },
  };
}

describe("FileConfigSource", () => {
  it("reads the first candidate, then one per SIGHUP, even when the file is unchanged", async () => {
    const { path, signals, source, seen, handle } = await setup();
    expect(await source.first()).toEqual({ ok: true, origin: path, document: { engine: "none" } });
    source.watch(handle);
    signals.emit("SIGHUP");
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([{ ok: true, origin: path, document: { engine: "none" } }]);
    await source.close();
  });

  it("yields a candidate when the file is edited or replaced, and none for the same bytes", async () => {
    const { dir, path, source, seen, handle } = await setup();
    await source.first();
    source.watch(handle);
    await writeFile(path, "engine: tayga\n");
    await eventually(() => seen.length === 1);
    const temporary = join(dir, ".relay.yaml.swp");
    await writeFile(temporary, "engine: jool\n");
    await rename(temporary, path);
    await eventually(() => seen.length === 2);
    await writeFile(path, "engine: jool\n");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.map((c) => (c.ok ? c.document : c.problems))).toEqual([
      { engine: "tayga" },
      { engine: "jool" },
    ]);
    await source.close();
  });

  it("passes on a file that does not parse, with the reason", async () => {
    const { path, signals, source, seen, handle } = await setup();
    await source.first();
    source.watch(handle);
    await writeFile(path, "engine: [none\n");
    signals.emit("SIGHUP");
    await eventually(() => seen.some((c) => !c.ok));
    const bad = seen.find((c) => !c.ok);
    expect(bad?.ok).toBe(false);
    if (bad && !bad.ok)
      expect(bad.problems[0]?.message).toMatch(
        /^Flow sequence in block collection must be sufficiently indented and end with a \] at line 2, column 1/,
      );
    await source.close();
  });
});
