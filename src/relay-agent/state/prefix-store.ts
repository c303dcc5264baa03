// The NAT64 prefix the agent generated when the config has none: made once, kept in
// `<stateDir>/prefix`, and read back on every start so AAAA answers never change under clients.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkNat64Prefix, ulaPrefixFromGlobalId } from "../../core/index.ts";
import { writeFileAtomic } from "./atomic-write.ts";

export const DEFAULT_STATE_DIR = "/var/lib/nat64-relay";
export const PREFIX_FILE = "prefix";

/** The kept prefix, or undefined when there is none (or it is not a usable prefix). */
export async function readKeptPrefix(stateDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(join(stateDir, PREFIX_FILE), "utf8")).trim();
  } catch {
    return undefined;
  }
  return text && checkNat64Prefix(text, "tayga").ok ? text : undefined;
}

/**
 * The kept prefix, generating an RFC 4193 ULA /96 from 5 random bytes (the global ID) the
 * first time (why a ULA: docs/design.md, "RFC 6052 embedding"). Written atomically, so a crash
 * never leaves half a prefix.
 */
export async function loadOrCreatePrefix(
  stateDir: string,
  random: (size: number) => Uint8Array = randomBytes,
): Promise<{ prefix: string; created: boolean }> {
  const kept = await readKeptPrefix(stateDir);
  if (kept) return { prefix: kept, created: false };
  const prefix = ulaPrefixFromGlobalId(random(5));
  await writeFileAtomic(join(stateDir, PREFIX_FILE), `${prefix}\n`);
  return { prefix, created: true };
}
