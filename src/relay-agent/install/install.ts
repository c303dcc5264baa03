// `agent install` / `agent uninstall`: write the unit, the config and state directories, and a
// record of exactly what was added, so uninstall removes that and nothing else. Like dpkg's
// conffiles, the record keeps a hash of each file as written: a file the operator edited since is
// theirs, so neither a reinstall nor an uninstall replaces it (only `uninstall --purge` removes it).
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { HostPaths } from "../host/paths.ts";
import { UNIT_NAME } from "../host/paths.ts";
import type { Systemd } from "../host/systemd.ts";
import { DEFAULT_STATE_DIR } from "../state/prefix-store.ts";
import { renderUnit } from "./unit.ts";

export interface InstallRecord {
  /** Files install created (never files that were there before). */
  readonly files: readonly string[];
  /** SHA-256 (hex) of each file's content as install wrote it; absent in records before hashes. */
  readonly hashes?: Readonly<Record<string, string>>;
  /** Directories install created, outermost first. */
  readonly dirs: readonly string[];
  readonly unitEnabled: boolean;
}

export interface InstallOptions {
  readonly paths: HostPaths;
  readonly systemd: Systemd;
  /** The config to install; copied to /etc/nat64-relay/relay.yaml unless one is there. */
  readonly sourceConfig?: string;
  /** The command that starts nat64-relay in the unit (launcher.ts). */
  readonly launcher: readonly string[];
  readonly start: boolean;
  /**
   * Managed mode (docs/managed.md): the token goes to /etc/nat64-relay/agent-token (0600) and,
   * unless a config is there or given, relay.yaml becomes the local file naming the API.
   */
  readonly managed?: { readonly apiUrl: string; readonly token: string };
}

export interface InstallReport {
  readonly done: string[];
  readonly kept: string[];
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Creates each missing directory on the way to `path`, returning the ones it created. */
async function makeDirs(path: string): Promise<string[]> {
  const missing: string[] = [];
  let current = path;
  while (!(await exists(current))) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing) await mkdir(dir);
  return missing;
}

/** The path the running host sees, for a path under a test root. */
function onHost(paths: HostPaths, path: string): string {
  return `/${relative(paths.root, path)}`;
}

export async function readInstallRecord(path: string): Promise<InstallRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as InstallRecord;
  } catch {
    return undefined;
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Path → hash of the content install wrote ("" when an older record has no hash). */
type OwnedFiles = Map<string, string>;

function ownedFiles(record: InstallRecord | undefined): OwnedFiles {
  return new Map((record?.files ?? []).map((file) => [file, record?.hashes?.[file] ?? ""]));
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Who a file on disk belongs to: nobody yet, install (as written), or the operator. */
async function ownership(
  path: string,
  owned: OwnedFiles,
): Promise<{ state: "absent" | "ours" | "edited" | "foreign"; text?: string }> {
  const text = await readIfThere(path);
  if (text === undefined) return { state: "absent" };
  if (!owned.has(path)) return { state: "foreign", text };
  return { state: owned.get(path) === sha256(text) ? "ours" : "edited", text };
}

interface Placement {
  readonly owned: OwnedFiles;
  readonly done: string[];
  readonly kept: string[];
}

/**
 * Writes `text` to `path` unless the file there is the operator's: one install did not write,
 * or one it wrote and the operator edited since. Those are kept, with the reason.
 */
async function placeFile(
  path: string,
  text: string,
  into: Placement,
  how: { done: string; foreign: string; mode?: number },
): Promise<void> {
  const { state, text: current } = await ownership(path, into.owned);
  if (current === text) return;
  if (state === "foreign") {
    into.kept.push(how.foreign);
    return;
  }
  if (state === "edited") {
    into.kept.push(`${path} was edited since install wrote it: kept`);
    return;
  }
  await writeFile(path, text, how.mode === undefined ? {} : { mode: how.mode });
  if (how.mode !== undefined) await chmod(path, how.mode);
  into.owned.set(path, sha256(text));
  into.done.push(how.done);
}

async function writeInstallRecord(path: string, record: InstallRecord): Promise<void> {
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
}

export async function installAgent(options: InstallOptions): Promise<InstallReport> {
  const { paths, systemd } = options;
  const previous = await readInstallRecord(paths.installRecord);
  const into: Placement = { owned: ownedFiles(previous), done: [], kept: [] };
  const dirs = [...(previous?.dirs ?? [])];
  for (const dir of [paths.etcDir, paths.stateDir, dirname(paths.unitFile)]) {
    const created = await makeDirs(dir);
    dirs.push(...created.filter((d) => !dirs.includes(d)));
    if (created.length) into.done.push(`created ${created.join(", ")}`);
  }
  const configPath = join(paths.etcDir, "relay.yaml");
  if (options.managed) {
    await installManagedFiles(options.managed, paths, configPath, !options.sourceConfig, into);
  }
  if (options.sourceConfig && resolve(options.sourceConfig) !== resolve(configPath)) {
    await placeFile(configPath, await readFile(options.sourceConfig, "utf8"), into, {
      done: `installed ${options.sourceConfig} as ${configPath}`,
      foreign: `${configPath} exists and differs from ${options.sourceConfig}: kept`,
      // As cp would: a config holding secrets stays as private as its source.
      mode: (await stat(options.sourceConfig)).mode & 0o777,
    });
  }
  const customStateDir = paths.stateDir !== join(paths.root, DEFAULT_STATE_DIR);
  const unit = renderUnit({
    launcher: options.launcher,
    configPath: onHost(paths, configPath),
    ...(customStateDir ? { stateDir: onHost(paths, paths.stateDir) } : {}),
  });
  await placeFile(paths.unitFile, unit, into, {
    done: `wrote ${paths.unitFile}`,
    foreign: `${paths.unitFile} exists and was not written by install: kept`,
  });
  await systemd.daemonReload();
  const wasEnabled = await systemd.isEnabled(UNIT_NAME);
  await systemd.enable(UNIT_NAME, options.start);
  into.done.push(`enabled ${UNIT_NAME}${options.start ? " and started it" : ""}`);
  await writeInstallRecord(paths.installRecord, {
    files: [...into.owned.keys()],
    hashes: Object.fromEntries(into.owned),
    dirs,
    unitEnabled: (previous?.unitEnabled ?? false) || !wasEnabled,
  });
  return { done: into.done, kept: into.kept };
}

export const AGENT_TOKEN_FILE = "agent-token";

/**
 * Writes what managed mode needs: the agent token (0600, replaced when install wrote the old one,
 * kept with a warning when the operator did) and, when no config is there or given, the local
 * file `api:` + `tokenFile:`. Each file install creates goes into the record.
 */
async function installManagedFiles(
  managed: { apiUrl: string; token: string },
  paths: HostPaths,
  configPath: string,
  writeLocalFile: boolean,
  into: Placement,
): Promise<void> {
  const tokenPath = join(paths.etcDir, AGENT_TOKEN_FILE);
  await placeFile(tokenPath, `${managed.token}\n`, into, {
    done: `wrote the agent token to ${tokenPath} (0600)`,
    foreign: `${tokenPath} exists and was not written by install: kept`,
    mode: 0o600,
  });
  if (!writeLocalFile) return;
  const local = `# Managed mode: the relay's config comes from the API (docs/managed.md).\napi: ${managed.apiUrl}\ntokenFile: ${onHost(paths, tokenPath)}\n`;
  await placeFile(configPath, local, into, {
    done: `wrote ${configPath} (managed: ${managed.apiUrl})`,
    foreign: `${configPath} exists: kept (for managed mode it needs api: ${managed.apiUrl})`,
  });
}

/** A file uninstall left in place, and why. */
export interface KeptFile {
  readonly path: string;
  readonly reason: string;
  /** For a file install wrote: its hash as written, for the record a later `--purge` reads. */
  readonly hash?: string;
}

export interface UninstallReport {
  readonly done: string[];
  readonly failed: string[];
  readonly kept: KeptFile[];
}

/**
 * Removes what the install record lists, and the record; directories only when they are empty by
 * then (all of them stay when a file is kept). A file the operator edited since install wrote it
 * is kept unless `purge`: the caller records it again (keepResidue) so a later `--purge` still
 * finds it.
 */
export async function uninstallAgent(options: {
  paths: HostPaths;
  systemd: Systemd;
  purge?: boolean;
}): Promise<UninstallReport> {
  const { paths, systemd } = options;
  const record = await readInstallRecord(paths.installRecord);
  const report: UninstallReport = { done: [], failed: [], kept: [] };
  if (!record) return report;
  if (record.unitEnabled) {
    try {
      await systemd.disable(UNIT_NAME);
      report.done.push(`stopped and disabled ${UNIT_NAME}`);
    } catch (error) {
      report.failed.push(`disable ${UNIT_NAME}: ${(error as Error).message}`);
    }
  }
  const owned = ownedFiles(record);
  for (const [file, hash] of owned) {
    const { state } = await ownership(file, owned);
    if (state === "absent") continue;
    if (state === "edited" && !options.purge) {
      report.kept.push({
        path: file,
        hash,
        reason: hash
          ? "edited since install wrote it"
          : "written by an older install that recorded no hash, so it may have been edited",
      });
      continue;
    }
    await rm(file, { force: true });
    report.done.push(`removed ${file}`);
  }
  await rm(paths.installRecord, { force: true });
  await systemd.daemonReload().catch(() => {});
  // A kept file keeps its directories; the caller removes them with the residue in mind.
  if (report.kept.length) return report;
  for (const dir of [...record.dirs].reverse()) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (removed) report.done.push(`removed ${dir}`);
  }
  return report;
}

/**
 * After an uninstall that kept something: a record of the kept files and of the directories the
 * agent created that are still there (the state directory again, if it had gone), so a reinstall
 * and a later `uninstall --purge` know them (dpkg's "config-files" state). Returns that record.
 */
export async function keepResidue(
  paths: HostPaths,
  kept: readonly KeptFile[],
  createdDirs: readonly string[],
): Promise<KeptFile> {
  await mkdir(paths.stateDir, { recursive: true });
  const files = kept.filter((file) => file.hash !== undefined);
  const dirs: string[] = [];
  for (const dir of [...new Set(createdDirs)].sort((a, b) => a.length - b.length)) {
    if (await exists(dir)) dirs.push(dir);
  }
  await writeInstallRecord(paths.installRecord, {
    files: files.map((file) => file.path),
    hashes: Object.fromEntries(files.map((file) => [file.path, file.hash ?? ""])),
    dirs,
    unitEnabled: false,
  });
  return { path: paths.installRecord, reason: "what was kept, for `--purge`" };
}
