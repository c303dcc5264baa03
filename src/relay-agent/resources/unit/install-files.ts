// The files and directories `agent install` owns: the unit file, the relay.yaml it copies or
// generates, the agent token, and the directories it had to create. A file install wrote and
// nobody edited is replaced or removed; one the operator edited is kept (until `--purge`), and
// so is one install did not write.
import { readdir, readFile } from "node:fs/promises";
import { UNIT_NAME } from "../../host/paths.ts";
import { missingDirs } from "../record.ts";
import { unique } from "../resource.ts";
import { type DesiredInstall, isEmptyInstall } from "./desired-install.ts";
import { type KeptFile, keptEdited, ownership } from "./file-ownership.ts";
import type {
  InstallChange,
  InstallHost,
  InstallResource,
  InstallResourcePlan,
} from "./install-family.ts";
import {
  createDirs,
  daemonReload,
  forgetInstall,
  recordInstall,
  removeDir,
  removeFileChange,
  writeFileChange,
} from "./install-file-changes.ts";
import type { InstallRecord } from "./install-record.ts";

export interface ObservedInstallFiles {
  /** Content by path (undefined: absent) of every file desired or recorded. */
  readonly contents: Readonly<Record<string, string | undefined>>;
  /** For each desired directory, the directories `mkdir -p` would create, outermost first. */
  readonly missing: Readonly<Record<string, readonly string[]>>;
  /** What each recorded directory holds (undefined: gone); read for the empty install only. */
  readonly entries: Readonly<Record<string, readonly string[] | undefined>>;
  /**
   * systemd has not read the unit file as it is on disk (a reload after the last write failed),
   * asked only when the unit file is install's concern.
   */
  readonly unreadUnitFile: boolean;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The recorded directories that will be empty once `removed` files and install.json are gone,
 * deepest first; a directory holding anything else (the data plane's files, the operator's)
 * stays, and so do the directories holding it.
 */
function emptiedDirs(
  record: InstallRecord,
  entries: ObservedInstallFiles["entries"],
  removed: ReadonlySet<string>,
  recordPath: string,
): string[] {
  const going = new Set([...removed, recordPath]);
  const emptied: string[] = [];
  for (const dir of [...record.dirs].sort((a, b) => b.length - a.length)) {
    const inside = entries[dir];
    if (inside === undefined) continue;
    const left = inside.filter((name) => !going.has(`${dir}/${name}`));
    if (left.length > 0) continue;
    emptied.push(dir);
    going.add(dir);
  }
  return emptied;
}

const needsReload = (changes: readonly InstallChange[], observed: ObservedInstallFiles) =>
  observed.unreadUnitFile || changes.some((change) => change.effects.includes("unit-file-changed"));

function planTowardInstalled(
  desired: DesiredInstall,
  observed: ObservedInstallFiles,
  record: InstallRecord | undefined,
  host: InstallHost,
): InstallResourcePlan {
  const changes: InstallChange[] = [];
  const warnings: string[] = [];
  const creating = new Set<string>();
  for (const dir of desired.dirs) {
    const chain = (observed.missing[dir] ?? []).filter((missing) => !creating.has(missing));
    for (const missing of chain) creating.add(missing);
    if (chain.length) changes.push(createDirs(chain));
  }
  for (const file of desired.files) {
    const found = observed.contents[file.path];
    if (found === file.text) continue;
    const owner = ownership(record, file.path, found);
    if (owner === "foreign") warnings.push(file.keptForeign);
    else if (owner === "edited")
      warnings.push(`${file.path} was edited since install wrote it: kept`);
    else changes.push(writeFileChange(file, found, file.path === host.paths.unitFile));
  }
  if (needsReload(changes, observed)) changes.push(daemonReload(host, false));
  if (!record && changes.length === 0) changes.push(recordInstall(host));
  return { changes, checks: [], warnings, kept: [] };
}

function planTowardEmpty(
  purge: boolean,
  observed: ObservedInstallFiles,
  record: InstallRecord | undefined,
  host: InstallHost,
): InstallResourcePlan {
  const changes: InstallChange[] = [];
  const kept: KeptFile[] = [];
  if (!record) return { changes, checks: [], warnings: [], kept };
  const removed = new Set<string>();
  for (const path of record.files) {
    const owner = ownership(record, path, observed.contents[path]);
    if (owner === "absent") continue;
    if (owner === "edited" && !purge) {
      kept.push(keptEdited(record, path));
      continue;
    }
    removed.add(path);
    changes.push(removeFileChange(path, path === host.paths.unitFile));
  }
  if (needsReload(changes, observed)) changes.push(daemonReload(host, true));
  // A kept file keeps the record and every directory it lists, so a later `--purge` finds them.
  if (kept.length === 0) {
    const recordPath = host.paths.installRecord;
    const emptied = emptiedDirs(record, observed.entries, removed, recordPath);
    const holdsRecord = (dir: string) => recordPath.startsWith(`${dir}/`);
    changes.push(...emptied.filter((dir) => !holdsRecord(dir)).map(removeDir));
    changes.push(forgetInstall(host, emptied.filter(holdsRecord)));
  }
  return { changes, checks: [], warnings: [], kept };
}

export const installFilesResource = {
  name: "install-files",
  async observe({ desired, record, host }) {
    const paths = unique([...desired.files.map((file) => file.path), ...(record?.files ?? [])]);
    const unitFileInvolved = paths.includes(host.paths.unitFile);
    const contents = await Promise.all(paths.map(readText));
    const missing = await Promise.all(desired.dirs.map(missingDirs));
    const recordedDirs = isEmptyInstall(desired) ? (record?.dirs ?? []) : [];
    const entries = await Promise.all(recordedDirs.map(entriesOf));
    return {
      contents: Object.fromEntries(paths.map((path, index) => [path, contents[index]])),
      missing: Object.fromEntries(desired.dirs.map((dir, index) => [dir, missing[index] ?? []])),
      entries: Object.fromEntries(recordedDirs.map((dir, index) => [dir, entries[index]])),
      unreadUnitFile: unitFileInvolved && (await host.systemd.needsReload(UNIT_NAME)),
    };
  },
  plan(desired, observed, record, host) {
    if (isEmptyInstall(desired)) {
      return planTowardEmpty(desired.purge, observed, record, host);
    }
    return planTowardInstalled(desired, observed, record, host);
  },
} satisfies InstallResource<ObservedInstallFiles>;
