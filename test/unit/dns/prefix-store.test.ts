import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkNat64Prefix, ulaPrefixFromGlobalId } from "../../../src/core/index.ts";
import { loadOrCreatePrefix, readKeptPrefix } from "../../../src/relay-agent/state/prefix-store.ts";

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "nat64-relay-state-"));
  dirs.push(dir);
  return join(dir, "var/lib/nat64-relay");
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the generated NAT64 prefix", () => {
  it("is a ULA /96 made from 5 random bytes, written once and read back afterwards", async () => {
    const dir = await stateDir();
    const bytes = Uint8Array.from([1, 2, 3, 4, 5]);
    const first = await loadOrCreatePrefix(dir, () => bytes);
    expect(first).toEqual({ prefix: ulaPrefixFromGlobalId(bytes), created: true });
    expect(checkNat64Prefix(first.prefix, "tayga").ok).toBe(true);
    expect((await readFile(join(dir, "prefix"), "utf8")).trim()).toBe(first.prefix);
    const second = await loadOrCreatePrefix(dir, () => Uint8Array.from([9, 9, 9, 9, 9]));
    expect(second).toEqual({ prefix: first.prefix, created: false });
  });

  it("reads nothing from an empty state directory", async () => {
    expect(await readKeptPrefix(await stateDir())).toBeUndefined();
  });
});
