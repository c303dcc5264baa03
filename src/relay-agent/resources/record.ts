// What apply changed on the host, kept in the state directory so teardown undoes exactly that
// and nothing else ("no change to the OS without a record of it", STYLE.md).
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
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
  /** Files this agent created (sysctl.d file, tayga.conf): removed on teardown. */
  readonly files: readonly string[];
  /** Files that were there before apply overwrote them, with their content: put back. */
  readonly filesBefore: Readonly<Record<string, string>>;
  /** Directories this agent created (tayga data dir). */
  readonly dirs: readonly string[];
  /**
   * Directories created only to hold one of our files (/etc/sysctl.d on a host without it),
   * outermost first: removed with the file when empty.
   */
  readonly parentDirs: readonly string[];
  /**
   * Directories that had to be created to hold this record (the state directory and any missing
   * parent, outermost first): removed on uninstall only when nothing else is left in them.
   */
  readonly stateDirs: readonly string[];
  /** The config the tayga we started was started with: a different one means a restart. */
  readonly tayga?: { readonly confPath: string; readonly conf: string };
  /** What each accelerator attached, by accelerator name, in its own shape. */
  readonly accelerators?: Readonly<Record<string, unknown>>;
}

export const EMPTY_RECORD: DataPlaneRecord = {
  sysctlsBefore: {},
  advertisedRoutes: [],
  routes: [],
  nftTable: false,
  jool: false,
  files: [],
  filesBefore: {},
  dirs: [],
  parentDirs: [],
  stateDirs: [],
};

/** One accelerator's slot of the record, in the shape that accelerator gave it. */
export function acceleratorRecord<Slot>(record: DataPlaneRecord, name: string): Slot | undefined {
  return record.accelerators?.[name] as Slot | undefined;
}

/**
 * The record with one accelerator's slot replaced (undefined: removed). No slot left means no
 * `accelerators` key, so a record after teardown equals the empty one.
 */
export function withAcceleratorRecord(
  record: DataPlaneRecord,
  name: string,
  slot: unknown,
): DataPlaneRecord {
  const { accelerators, ...rest } = record;
  const { [name]: _old, ...others } = accelerators ?? {};
  const next = slot === undefined ? others : { ...others, [name]: slot };
  return Object.keys(next).length ? { ...rest, accelerators: next } : rest;
}

/**
 * Accelerator slots that older agents kept in a file of their own next to the record (the fast
 * path used `fast-path.json` before it became an accelerator). Read into the record when its
 * slot is missing, so teardown after an upgrade still undoes what the old agent attached; the
 * old file goes once the record holding the slot is written.
 */
const LEGACY_ACCELERATOR_FILES: Readonly<Record<string, string>> = { fastPath: "fast-path.json" };

const legacyFile = (recordPath: string, name: string) =>
  join(dirname(recordPath), LEGACY_ACCELERATOR_FILES[name] ?? "");

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function readRecord(path: string): Promise<DataPlaneRecord> {
  const stored = (await readJson(path)) as DataPlaneRecord | undefined;
  let record: DataPlaneRecord = stored ? { ...EMPTY_RECORD, ...stored } : EMPTY_RECORD;
  for (const name of Object.keys(LEGACY_ACCELERATOR_FILES)) {
    if (acceleratorRecord(record, name) !== undefined) continue;
    const slot = await readJson(legacyFile(path, name));
    if (slot !== undefined) record = withAcceleratorRecord(record, name, slot);
  }
  return record;
}

/** The directories `mkdir -p path` is about to create, outermost first. */
export async function missingDirs(path: string): Promise<string[]> {
  const missing: string[] = [];
  let current = path;
  while (
    !(await stat(current).then(
      () => true,
      () => false,
    ))
  ) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

/**
 * Written to a temporary file and renamed, so a crash never leaves half a record. The
 * directories created to hold it are remembered, also across later writes of a record that was
 * built before they existed.
 */
export async function writeRecord(path: string, record: DataPlaneRecord): Promise<void> {
  const created = await missingDirs(dirname(path));
  await mkdir(dirname(path), { recursive: true });
  const kept = created.length ? [] : (await readRecord(path).catch(() => EMPTY_RECORD)).stateDirs;
  const stateDirs = [...new Set([...record.stateDirs, ...kept, ...created])];
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ ...record, stateDirs }, null, 2)}\n`);
  await rename(temporary, path);
  await removeLegacyFiles(path);
}

export async function removeRecord(path: string): Promise<void> {
  await rm(path, { force: true });
  await removeLegacyFiles(path);
}

/** The slots now live in the record (or were undone with it): the old files say nothing more. */
async function removeLegacyFiles(recordPath: string): Promise<void> {
  for (const name of Object.keys(LEGACY_ACCELERATOR_FILES)) {
    await rm(legacyFile(recordPath, name), { force: true });
  }
}
