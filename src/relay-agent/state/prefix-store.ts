// The NAT64 prefix the agent generated when the config has none: made once, kept in
// `<stateDir>/prefix`, and read back on every start so AAAA answers never change under clients.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkNat64Prefix, ulaPrefixFromGlobalId } from "../../core/index.ts";

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
 * first time. Written to a temporary file and renamed, so a crash never leaves half a prefix.
 */
export async function loadOrCreatePrefix(
  stateDir: string,
  random: (size: number) => Uint8Array = randomBytes,
): Promise<{ prefix: string; created: boolean }> {
  const kept = await readKeptPrefix(stateDir);
  if (kept) return { prefix: kept, created: false };
  const prefix = ulaPrefixFromGlobalId(random(5));
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  const path = join(stateDir, PREFIX_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${prefix}\n`, { mode: 0o644 });
  await rename(temporary, path);
  return { prefix, created: true };
}
