// The files and directories `agent install` owns: the unit file, the relay.yaml it copies or
// generates, the agent token, and the directories it had to create. A file install wrote and
// nobody edited is replaced or removed; one the operator edited is kept (until `--purge`), and
// so is one install did not write.
import { chmod, mkdir, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { type HealthCheck, leftover } from "../health-check.ts";
import { missingDirs } from "../record.ts";
import { unique } from "../resource.ts";
import { type DesiredFile, type DesiredInstall, isEmptyInstall } from "./desired-install.ts";
import { type KeptFile, keptEdited, ownership } from "./file-ownership.ts";
import type {
  InstallChange,
  InstallHost,
  InstallResource,
  InstallResourcePlan,
} from "./install-family.ts";
import { type InstallRecord, NO_INSTALL_YET, sha256 } from "./install-record.ts";

export interface ObservedInstallFiles {
  /** Content by path (undefined: absent) of every file desired or recorded. */
  readonly contents: Readonly<Record<string, string | undefined>>;
  /** For each desired directory, the directories `mkdir -p` would create, outermost first. */
  readonly missing: Readonly<Record<string, readonly string[]>>;
  /** What each recorded directory holds (undefined: gone); read for the empty install only. */
  readonly entries: Readonly<Record<string, readonly string[] | undefined>>;
}

/** What the writes answer for; the doctor does not list it (it has no copy of the inputs). */
const INSTALL_FILES_CHECK: HealthCheck = {
  id: "install-files",
  title: "the files `agent install` writes",
  fix: "run `nat64-relay agent install`",
  healthy: "as install wrote them",
};

const orNew = (record: InstallRecord | undefined) => record ?? NO_INSTALL_YET;

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

function createDirs(chain: readonly string[]): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `create ${chain.join(", ")}`,
    done: `created ${chain.join(", ")}`,
    drift: { check: INSTALL_FILES_CHECK, detail: `${chain.at(-1)} missing` },
    effects: [],
    undo: false,
    run: async (record) => {
      for (const dir of chain) await mkdir(dir, { recursive: true });
      const base = orNew(record);
      return { ...base, dirs: unique([...base.dirs, ...chain]) };
    },
  };
}

function writeFileChange(
  file: DesiredFile,
  found: string | undefined,
  unit: boolean,
): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `write ${file.path}`,
    done: file.written,
    drift: {
      check: INSTALL_FILES_CHECK,
      detail: `${file.path} ${found === undefined ? "missing" : "differs"}`,
    },
    effects: unit ? ["unit-file-changed"] : [],
    undo: false,
    run: async (record) => {
      await writeFile(file.path, file.text, file.mode === undefined ? {} : { mode: file.mode });
      // writeFile's mode applies only to a new file (and through the umask).
      if (file.mode !== undefined) await chmod(file.path, file.mode);
      const base = orNew(record);
      return {
        ...base,
        files: unique([...base.files, file.path]),
        hashes: { ...base.hashes, [file.path]: sha256(file.text) },
      };
    },
  };
}

function removeFileChange(path: string, unit: boolean): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `remove ${path}`,
    done: `removed ${path}`,
    drift: leftover(`${path} left over`),
    effects: unit ? ["unit-file-changed"] : [],
    undo: true,
    run: async (record) => {
      await rm(path, { force: true });
      if (!record) return record;
      const { [path]: _removed, ...hashes } = record.hashes ?? {};
      return { ...record, files: record.files.filter((file) => file !== path), hashes };
    },
  };
}

function daemonReload(host: InstallHost, undo: boolean): InstallChange {
  return {
    resource: "install-files",
    area: "systemd",
    summary: "systemctl daemon-reload",
    done: "reloaded systemd's unit files",
    drift: { check: INSTALL_FILES_CHECK, detail: "systemd has not read the unit file" },
    effects: ["daemon-reloaded"],
    undo,
    run: async (record) => {
      await host.systemd.daemonReload();
      return record;
    },
  };
}

/** The install record, when no other change writes it: it says `agent install` ran here. */
function recordInstall(host: InstallHost): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `record the install in ${host.paths.installRecord}`,
    done: `recorded the install in ${host.paths.installRecord}`,
    drift: { check: INSTALL_FILES_CHECK, detail: `${host.paths.installRecord} missing` },
    effects: [],
    undo: false,
    run: async (record) => orNew(record),
  };
}

/** Nothing of install's is kept: the record goes (saving undefined removes install.json). */
function forgetInstall(host: InstallHost): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `remove ${host.paths.installRecord}`,
    done: `removed ${host.paths.installRecord}`,
    drift: leftover(`${host.paths.installRecord} left over`),
    effects: [],
    undo: true,
    run: async () => undefined,
  };
}

function removeDir(dir: string): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `remove ${dir}`,
    done: `removed ${dir}`,
    drift: leftover(`${dir} left over`),
    effects: [],
    undo: true,
    run: async (record) => {
      // Something put there since the plan was made stays, with its directory.
      await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT" && error.code !== "ENOTEMPTY") throw error;
      });
      return record;
    },
  };
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
  if (changes.some((change) => change.effects.includes("unit-file-changed"))) {
    changes.push(daemonReload(host, false));
  }
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
  if (changes.some((change) => change.effects.includes("unit-file-changed"))) {
    changes.push(daemonReload(host, true));
  }
  // A kept file keeps the record and every directory it lists, so a later `--purge` finds them.
  if (kept.length === 0) {
    changes.push(forgetInstall(host));
    const dirs = emptiedDirs(record, observed.entries, removed, host.paths.installRecord);
    changes.push(...dirs.map(removeDir));
  }
  return { changes, checks: [], warnings: [], kept };
}

export const installFilesResource = {
  name: "install-files",
  async observe({ desired, record }) {
    const paths = unique([...desired.files.map((file) => file.path), ...(record?.files ?? [])]);
    const contents = await Promise.all(paths.map(readText));
    const missing = await Promise.all(desired.dirs.map(missingDirs));
    const recordedDirs = isEmptyInstall(desired) ? (record?.dirs ?? []) : [];
    const entries = await Promise.all(recordedDirs.map(entriesOf));
    return {
      contents: Object.fromEntries(paths.map((path, index) => [path, contents[index]])),
      missing: Object.fromEntries(desired.dirs.map((dir, index) => [dir, missing[index] ?? []])),
      entries: Object.fromEntries(recordedDirs.map((dir, index) => [dir, entries[index]])),
    };
  },
  plan(desired, observed, record, host) {
    if (isEmptyInstall(desired)) {
      return planTowardEmpty(desired.purge, observed, record, host);
    }
    return planTowardInstalled(desired, observed, record, host);
  },
} satisfies InstallResource<ObservedInstallFiles>;
