// What apply changed on the host, kept in the state directory so teardown undoes exactly that
// and nothing else ("no change to the OS without a record of it", STYLE.md).
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { DesiredRoute } from "./desired-state.ts";

export interface DataPlaneRecord {
  /** Runtime sysctl values before the first change, restored on teardown. */
  readonly sysctlsBefore: Readonly<Record<string, string>>;
  /** Routes this agent put into `tailscale --advertise-routes` (others are never touched). */
  readonly advertisedRoutes: readonly string[];
  readonly routes: readonly DesiredRoute[];
  readonly tun?: string;
  readonly nftTable: boolean;
  readonly jool: boolean;
  /** Files this agent wrote (sysctl.d file, tayga.conf). */
  readonly files: readonly string[];
  /** Directories this agent created (tayga data dir). */
  readonly dirs: readonly string[];
}

export const EMPTY_RECORD: DataPlaneRecord = {
  sysctlsBefore: {},
  advertisedRoutes: [],
  routes: [],
  nftTable: false,
  jool: false,
  files: [],
  dirs: [],
};

export async function readRecord(path: string): Promise<DataPlaneRecord> {
  try {
    return { ...EMPTY_RECORD, ...(JSON.parse(await readFile(path, "utf8")) as DataPlaneRecord) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_RECORD;
    throw error;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
export async function writeRecord(path: string, record: DataPlaneRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, path);
}

export async function removeRecord(path: string): Promise<void> {
  await rm(path, { force: true });
}
