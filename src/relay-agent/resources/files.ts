// Files and directories the data plane needs: the persisted sysctl.d file, tayga.conf and
// tayga's data directory. A file that did not exist is recorded as ours (removed when no
// longer desired); one that existed keeps its previous content in the record and gets it back.
import { mkdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DesiredDataPlane } from "./desired-state.ts";
import { APPLY_FIX, type HealthCheck, leftover } from "./health-check.ts";
import { missingDirs } from "./record.ts";
import type { Change, ChangeEffect, HostResource } from "./resource.ts";
import { planned, unique } from "./resource.ts";
import { forwardingCheck } from "./sysctls.ts";

interface DesiredFile {
  readonly path: string;
  readonly content: string;
  readonly what: string;
  readonly effects: readonly ChangeEffect[];
  /** The doctor check a missing or different copy fails. */
  readonly check: HealthCheck;
}

/** tayga's config and data directory, as the translator's part of the desired state has them. */
function taygaFilesCheck(tayga: NonNullable<DesiredDataPlane["tayga"]>): HealthCheck {
  return {
    id: "tayga-conf",
    title: `tayga's config ${tayga.confPath} and data directory`,
    impact:
      "tayga starts with another prefix or pool than the config's (or cannot start): answers point where nothing translates",
    fix: APPLY_FIX,
    healthy: `${tayga.confPath} matches the config; ${tayga.dataDir} present`,
  };
}

export interface ObservedFiles {
  /** Content by path (undefined: absent) for every file desired or recorded. */
  readonly contents: Readonly<Record<string, string | undefined>>;
  /** Whether each desired or recorded directory exists. */
  readonly dirs: Readonly<Record<string, boolean>>;
  /** tayga's dynamic.map exists in the desired data directory. */
  readonly dynamicMap: boolean;
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

function desiredFiles(desired: DesiredDataPlane): DesiredFile[] {
  const files: DesiredFile[] = [];
  if (desired.sysctlFile) {
    const check = forwardingCheck(desired);
    files.push({ ...desired.sysctlFile, what: "sysctls", effects: [], check });
  }
  if (desired.tayga) {
    files.push({
      path: desired.tayga.confPath,
      content: desired.tayga.conf,
      what: "tayga.conf",
      effects: ["restart-translator"],
      check: taygaFilesCheck(desired.tayga),
    });
  }
  return files;
}

const desiredDirs = (desired: DesiredDataPlane) => (desired.tayga ? [desired.tayga.dataDir] : []);

const dynamicMapPath = (dataDir: string) => join(dataDir, "dynamic.map");

const poolOf = (taygaConf: string | undefined) => taygaConf?.match(/^dynamic-pool (\S+)$/m)?.[1];

function writeChange(file: DesiredFile, found: string | undefined): Change {
  return {
    resource: "files",
    area: "file",
    summary: `write ${file.path} (${file.what})`,
    drift: {
      check: file.check,
      detail: `${file.path} ${found === undefined ? "missing" : "differs"}`,
    },
    effects: file.effects,
    undo: false,
    run: async (record) => {
      const ours = record.files.includes(file.path) || file.path in record.filesBefore;
      const before = ours ? undefined : await readText(file.path);
      const parents = await missingDirs(dirname(file.path));
      await mkdir(dirname(file.path), { recursive: true });
      await writeFile(file.path, file.content);
      const withParents = { ...record, parentDirs: unique([...record.parentDirs, ...parents]) };
      if (ours) return withParents;
      return before === undefined
        ? { ...withParents, files: unique([...record.files, file.path]) }
        : { ...withParents, filesBefore: { ...record.filesBefore, [file.path]: before } };
    },
  };
}

function removeChange(path: string): Change {
  return {
    resource: "files",
    area: "file",
    summary: `remove ${path}`,
    drift: leftover(`${path} left over`),
    effects: [],
    undo: true,
    run: async (record) => {
      await rm(path, { force: true });
      return { ...record, files: record.files.filter((file) => file !== path) };
    },
  };
}

function restoreChange(path: string, content: string): Change {
  return {
    resource: "files",
    area: "file",
    summary: `restore ${path} (as before)`,
    drift: leftover(`${path} not restored`),
    effects: [],
    undo: true,
    run: async (record) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      const { [path]: _restored, ...rest } = record.filesBefore;
      return { ...record, filesBefore: rest };
    },
  };
}

export const filesResource: HostResource<ObservedFiles> = {
  name: "files",
  async observe({ desired, record }) {
    const paths = unique([
      ...desiredFiles(desired).map((file) => file.path),
      ...record.files,
      ...Object.keys(record.filesBefore),
    ]);
    const dirs = unique([...desiredDirs(desired), ...record.dirs]);
    const contents = await Promise.all(paths.map(readText));
    const present = await Promise.all(dirs.map(exists));
    return {
      contents: Object.fromEntries(paths.map((path, index) => [path, contents[index]])),
      dirs: Object.fromEntries(dirs.map((dir, index) => [dir, present[index] ?? false])),
      dynamicMap: desired.tayga ? await exists(dynamicMapPath(desired.tayga.dataDir)) : false,
    };
  },
  plan(desired, observed, record) {
    const changes: Change[] = [];
    const wanted = desiredFiles(desired);
    for (const file of wanted) {
      const found = observed.contents[file.path];
      if (found !== file.content) changes.push(writeChange(file, found));
    }
    const taygaCheck = desired.tayga ? taygaFilesCheck(desired.tayga) : undefined;
    if (desired.tayga && taygaCheck && observed.dynamicMap) {
      const current = observed.contents[desired.tayga.confPath];
      if (current !== undefined && poolOf(current) !== poolOf(desired.tayga.conf)) {
        // Client mappings into the old pool mean nothing in the new one.
        const map = dynamicMapPath(desired.tayga.dataDir);
        changes.push({
          resource: "files",
          area: "file",
          summary: `remove ${map} (the pool changed)`,
          drift: { check: taygaCheck, detail: `${map} maps clients into another pool` },
          effects: ["restart-translator"],
          undo: false,
          run: async (current) => {
            await rm(map, { force: true });
            return current;
          },
        });
      }
    }
    for (const dir of desiredDirs(desired)) {
      if (observed.dirs[dir] || !taygaCheck) continue;
      changes.push({
        resource: "files",
        area: "file",
        summary: `create directory ${dir}`,
        drift: { check: taygaCheck, detail: `${dir} missing` },
        effects: [],
        undo: false,
        run: async (current) => {
          await mkdir(dir, { recursive: true });
          return { ...current, dirs: unique([...current.dirs, dir]) };
        },
      });
    }
    const keep = new Set(wanted.map((file) => file.path));
    for (const path of record.files) if (!keep.has(path)) changes.push(removeChange(path));
    for (const [path, content] of Object.entries(record.filesBefore)) {
      if (!keep.has(path)) changes.push(restoreChange(path, content));
    }
    const keepDirs = new Set(desiredDirs(desired));
    for (const dir of [...record.dirs].reverse()) {
      if (keepDirs.has(dir)) continue;
      changes.push({
        resource: "files",
        area: "file",
        summary: `remove ${dir}`,
        drift: leftover(`${dir} left over`),
        effects: [],
        undo: true,
        run: async (current) => {
          await rm(dir, { recursive: true, force: true });
          return { ...current, dirs: current.dirs.filter((other) => other !== dir) };
        },
      });
    }
    // Parents made only for our files go once nothing desired lives under them (deepest first).
    const holds = (dir: string) =>
      [...keep, ...keepDirs].some((path) => path.startsWith(`${dir}/`));
    for (const dir of [...record.parentDirs].reverse()) {
      if (holds(dir)) continue;
      changes.push({
        resource: "files",
        area: "file",
        summary: `remove ${dir} (if empty)`,
        drift: leftover(`${dir} left over`),
        effects: [],
        undo: true,
        run: async (current) => {
          await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== "ENOENT" && error.code !== "ENOTEMPTY") throw error;
          });
          return { ...current, parentDirs: current.parentDirs.filter((other) => other !== dir) };
        },
      });
    }
    return planned(taygaCheck ? [taygaCheck] : [], changes);
  },
};
