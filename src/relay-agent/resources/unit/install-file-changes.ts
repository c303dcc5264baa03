// The changes the install's files resource plans (install-files.ts): each runs one step on the
// host and returns install.json as that step leaves it.
import { chmod, mkdir, rm, rmdir, writeFile } from "node:fs/promises";
import { type HealthCheck, leftover } from "../health-check.ts";
import { unique } from "../resource.ts";
import type { DesiredFile } from "./desired-install.ts";
import type { InstallChange, InstallHost } from "./install-family.ts";
import { type InstallRecord, NO_INSTALL_YET, saveInstallRecord, sha256 } from "./install-record.ts";

const orNew = (record: InstallRecord | undefined) => record ?? NO_INSTALL_YET;

/** What the writes answer for; the doctor does not list it (it has no copy of the inputs). */
export const INSTALL_FILES_CHECK: HealthCheck = {
  id: "install-files",
  title: "the files `agent install` writes",
  fix: "run `nat64-relay agent install`",
  healthy: "as install wrote them",
};

export function createDirs(chain: readonly string[]): InstallChange {
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

export function writeFileChange(
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

export function removeFileChange(path: string, unit: boolean): InstallChange {
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

export function daemonReload(host: InstallHost, undo: boolean): InstallChange {
  return {
    resource: "install-files",
    area: "systemd",
    summary: "reload systemd's unit files",
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
export function recordInstall(host: InstallHost): InstallChange {
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

const removeIfEmpty = (dir: string) =>
  rmdir(dir).catch((error: NodeJS.ErrnoException) => {
    // Something put there since the plan was made stays, with its directory.
    if (error.code !== "ENOENT" && error.code !== "ENOTEMPTY") throw error;
  });

export function removeDir(dir: string): InstallChange {
  return {
    resource: "install-files",
    area: "file",
    summary: `remove ${dir}`,
    done: `removed ${dir}`,
    drift: leftover(`${dir} left over`),
    effects: [],
    undo: true,
    run: async (record) => {
      await removeIfEmpty(dir);
      return record && { ...record, dirs: record.dirs.filter((other) => other !== dir) };
    },
  };
}

/**
 * Nothing of install's is kept: install.json goes, then the directories holding it that install
 * created (`stateChain`, deepest first), in one step since the record cannot outlive its own
 * directory. If the state directory cannot be removed, install.json is written back as it was,
 * so the next uninstall tries again; its parents are best effort once it is gone.
 */
export function forgetInstall(host: InstallHost, stateChain: readonly string[]): InstallChange {
  const recordPath = host.paths.installRecord;
  const also = stateChain.length ? ` and ${stateChain.join(", ")}` : "";
  return {
    resource: "install-files",
    area: "file",
    summary: `remove ${recordPath}${also}`,
    done: `removed ${recordPath}${also}`,
    drift: leftover(`${recordPath} left over`),
    effects: [],
    undo: true,
    run: async (record) => {
      await rm(recordPath, { force: true });
      const [stateDir, ...parents] = stateChain;
      if (stateDir === undefined) return undefined;
      try {
        await removeIfEmpty(stateDir);
      } catch (error) {
        await saveInstallRecord(recordPath, record);
        throw error;
      }
      for (const parent of parents) await removeIfEmpty(parent).catch(() => {});
      return undefined;
    },
  };
}
