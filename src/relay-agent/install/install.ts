// `agent install` / `agent uninstall`: the desired install (the unit, the config, the agent token,
// the config and state directories, the unit enabled) applied through the install's host
// resources (resources/unit/), and the empty install applied on uninstall. The record keeps a
// hash of each file as written, like dpkg's conffiles: a file the operator edited since is theirs,
// so neither a reinstall nor an uninstall replaces it (only `uninstall --purge` removes it).
import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { AgentError } from "../errors.ts";
import type { HostPaths } from "../host/paths.ts";
import type { Systemd } from "../host/systemd.ts";
import {
  type DesiredFile,
  type DesiredInstall,
  emptyInstall,
} from "../resources/unit/desired-install.ts";
import type { KeptFile } from "../resources/unit/file-ownership.ts";
import type { InstallHost } from "../resources/unit/install-family.ts";
import { applyInstallPlan, planInstall } from "../resources/unit/install-plan.ts";
import { readInstallRecord, saveInstallRecord } from "../resources/unit/install-record.ts";
import { DEFAULT_STATE_DIR } from "../state/prefix-store.ts";
import { renderUnit } from "./unit.ts";

export type { KeptFile } from "../resources/unit/file-ownership.ts";
export type { InstallRecord } from "../resources/unit/install-record.ts";
export { readInstallRecord } from "../resources/unit/install-record.ts";

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
  /** The operator's files install left as they are, and why. */
  readonly kept: string[];
  /** The step that failed, in one line; what ran before it is done and recorded. */
  readonly failed?: string;
}

export const AGENT_TOKEN_FILE = "agent-token";

/** The path the running host sees, for a path under a test root. */
function onHost(paths: HostPaths, path: string): string {
  return `/${relative(paths.root, path)}`;
}

/** The config to copy: its text, and its mode (as cp keeps it: one holding secrets stays private). */
async function readSourceConfig(path: string): Promise<{ text: string; mode: number }> {
  try {
    const text = await readFile(path, "utf8");
    return { text, mode: (await stat(path)).mode & 0o777 };
  } catch (error) {
    throw new AgentError(
      "invalid_config",
      `cannot read the config to install, ${path}: ${(error as Error).message.split("\n")[0]}; pass --config FILE`,
    );
  }
}

/** What managed mode writes: the token and, when no config is given, the local file naming the API. */
function managedFiles(
  managed: { apiUrl: string; token: string },
  paths: HostPaths,
  configPath: string,
  writeLocalFile: boolean,
): DesiredFile[] {
  const tokenPath = join(paths.etcDir, AGENT_TOKEN_FILE);
  const files: DesiredFile[] = [
    {
      path: tokenPath,
      text: `${managed.token}\n`,
      mode: 0o600,
      written: `wrote the agent token to ${tokenPath} (0600)`,
      keptForeign: `${tokenPath} exists and was not written by install: kept`,
    },
  ];
  if (writeLocalFile) {
    files.push({
      path: configPath,
      text: `# Managed mode: the relay's config comes from the API (docs/managed.md).\napi: ${managed.apiUrl}\ntokenFile: ${onHost(paths, tokenPath)}\n`,
      written: `wrote ${configPath} (managed: ${managed.apiUrl})`,
      keptForeign: `${configPath} exists: kept (for managed mode it needs api: ${managed.apiUrl})`,
    });
  }
  return files;
}

/** The installed state these options ask for. */
export async function desiredInstall(options: InstallOptions): Promise<DesiredInstall> {
  const { paths } = options;
  const configPath = join(paths.etcDir, "relay.yaml");
  const files: DesiredFile[] = options.managed
    ? managedFiles(options.managed, paths, configPath, !options.sourceConfig)
    : [];
  if (options.sourceConfig && resolve(options.sourceConfig) !== resolve(configPath)) {
    const source = await readSourceConfig(options.sourceConfig);
    files.push({
      path: configPath,
      text: source.text,
      mode: source.mode,
      written: `installed ${options.sourceConfig} as ${configPath}`,
      keptForeign: `${configPath} exists and differs from ${options.sourceConfig}: kept`,
    });
  }
  const customStateDir = paths.stateDir !== join(paths.root, DEFAULT_STATE_DIR);
  files.push({
    path: paths.unitFile,
    text: renderUnit({
      launcher: options.launcher,
      configPath: onHost(paths, configPath),
      ...(customStateDir ? { stateDir: onHost(paths, paths.stateDir) } : {}),
    }),
    written: `wrote ${paths.unitFile}`,
    keptForeign: `${paths.unitFile} exists and was not written by install: kept`,
  });
  return {
    files,
    // The state directory first: install.json, saved after each step, lives there.
    dirs: [paths.stateDir, paths.etcDir, dirname(paths.unitFile)],
    service: { enabled: true, started: options.start },
    purge: false,
  };
}

/** Plans toward `desired` from install.json and applies it, saving install.json after each step. */
async function applyInstall(host: InstallHost, desired: DesiredInstall) {
  const record = await readInstallRecord(host.paths.installRecord);
  const plan = await planInstall(desired, host, record);
  const applied = await applyInstallPlan(plan, record, (next) =>
    saveInstallRecord(host.paths.installRecord, next),
  );
  return { plan, applied, record };
}

export async function installAgent(options: InstallOptions): Promise<InstallReport> {
  const host = { paths: options.paths, systemd: options.systemd };
  const { plan, applied } = await applyInstall(host, await desiredInstall(options));
  return {
    done: applied.done.map((change) => change.done),
    kept: [...plan.warnings],
    ...(applied.failure ? { failed: applied.failure.message } : {}),
  };
}

export interface UninstallReport {
  readonly done: string[];
  readonly failed: string[];
  readonly kept: KeptFile[];
}

/**
 * Applies the empty install: stops and disables the unit if install enabled it, removes the files
 * install wrote, then install.json and the directories install created that are empty by then. A
 * file the operator edited since install wrote it is kept unless `purge`, and with it the record
 * and every directory (the caller adds what else it keeps, keepResidue), so a later `--purge`
 * still finds them.
 */
export async function uninstallAgent(options: {
  paths: HostPaths;
  systemd: Systemd;
  purge?: boolean;
}): Promise<UninstallReport> {
  const host = { paths: options.paths, systemd: options.systemd };
  const { plan, applied } = await applyInstall(host, emptyInstall(options.purge === true));
  return {
    done: applied.done.map((change) => change.done),
    failed: applied.failure ? [applied.failure.message] : [],
    kept: [...plan.kept],
  };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

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
  await saveInstallRecord(paths.installRecord, {
    files: files.map((file) => file.path),
    hashes: Object.fromEntries(files.map((file) => [file.path, file.hash ?? ""])),
    dirs,
    unitEnabled: false,
  });
  return { path: paths.installRecord, reason: "what was kept, for `--purge`" };
}
