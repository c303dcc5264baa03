// The guard's allowed addresses on disk, so a reboot does not cut off clients that still hold
// a cached answer (nftables sets live only in the kernel).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { GuardEntry } from "./guard.ts";

export async function readGuardState(path: string): Promise<GuardEntry[]> {
  try {
    const saved = JSON.parse(await readFile(path, "utf8")) as { entries?: GuardEntry[] };
    return (saved.entries ?? []).filter(
      (entry) => typeof entry.ipv4 === "string" && typeof entry.expiresAt === "number",
    );
  } catch {
    return [];
  }
}

export async function writeGuardState(path: string, entries: readonly GuardEntry[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ entries })}\n`);
  await rename(temporary, path);
}
