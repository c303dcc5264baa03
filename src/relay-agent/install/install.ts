// `agent install` / `agent uninstall`: write the unit, the config and state directories, and a
// record of exactly what was added, so uninstall removes that and nothing else.
import { chmod, copyFile, mkdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { HostPaths } from "../host/paths.ts";
import { UNIT_NAME } from "../host/paths.ts";
import type { Systemd } from "../host/systemd.ts";
import { renderUnit } from "./unit.ts";

export interface InstallRecord {
  /** Files install created (never files that were there before). */
  readonly files: readonly string[];
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

export async function installAgent(options: InstallOptions): Promise<InstallReport> {
  const { paths, systemd } = options;
  const previous = await readInstallRecord(paths.installRecord);
  const files = new Set(previous?.files ?? []);
  const dirs = [...(previous?.dirs ?? [])];
  const done: string[] = [];
  const kept: string[] = [];
  for (const dir of [paths.etcDir, paths.stateDir, dirname(paths.unitFile)]) {
    const created = await makeDirs(dir);
    dirs.push(...created.filter((d) => !dirs.includes(d)));
    if (created.length) done.push(`created ${created.join(", ")}`);
  }
  const configPath = join(paths.etcDir, "relay.yaml");
  if (options.managed) {
    await installManagedFiles(options.managed, paths, configPath, !options.sourceConfig, {
      files,
      done,
      kept,
    });
  }
  if (options.sourceConfig && resolve(options.sourceConfig) !== resolve(configPath)) {
    if (await exists(configPath)) {
      const same =
        (await readFile(configPath, "utf8")) === (await readFile(options.sourceConfig, "utf8"));
      if (!same) kept.push(`${configPath} exists and differs from ${options.sourceConfig}: kept`);
    } else {
      await copyFile(options.sourceConfig, configPath);
      files.add(configPath);
      done.push(`installed ${options.sourceConfig} as ${configPath}`);
    }
  }
  const unit = renderUnit({
    launcher: options.launcher,
    configPath: onHost(paths, configPath),
  });
  const unitExisted = await exists(paths.unitFile);
  const currentUnit = unitExisted ? await readFile(paths.unitFile, "utf8") : undefined;
  if (currentUnit !== unit) {
    if (unitExisted && !files.has(paths.unitFile)) {
      kept.push(`${paths.unitFile} exists and was not written by install: kept`);
    } else {
      await writeFile(paths.unitFile, unit);
      files.add(paths.unitFile);
      done.push(`wrote ${paths.unitFile}`);
    }
  }
  await systemd.daemonReload();
  const wasEnabled = await systemd.isEnabled(UNIT_NAME);
  await systemd.enable(UNIT_NAME, options.start);
  done.push(`enabled ${UNIT_NAME}${options.start ? " and started it" : ""}`);
  const record: InstallRecord = {
    files: [...files],
    dirs,
    unitEnabled: (previous?.unitEnabled ?? false) || !wasEnabled,
  };
  await writeFile(paths.installRecord, `${JSON.stringify(record, null, 2)}\n`);
  return { done, kept };
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
  into: { files: Set<string>; done: string[]; kept: string[] },
): Promise<void> {
  const tokenPath = join(paths.etcDir, AGENT_TOKEN_FILE);
  const tokenText = `${managed.token}\n`;
  const current = (await exists(tokenPath)) ? await readFile(tokenPath, "utf8") : undefined;
  if (current !== tokenText) {
    if (current !== undefined && !into.files.has(tokenPath)) {
      into.kept.push(`${tokenPath} exists and was not written by install: kept`);
    } else {
      await writeFile(tokenPath, tokenText, { mode: 0o600 });
      await chmod(tokenPath, 0o600);
      into.files.add(tokenPath);
      into.done.push(`wrote the agent token to ${tokenPath} (0600)`);
    }
  }
  if (!writeLocalFile) return;
  const local = `# Managed mode: the relay's config comes from the API (docs/managed.md).\napi: ${managed.apiUrl}\ntokenFile: ${onHost(paths, tokenPath)}\n`;
  if (await exists(configPath)) {
    if ((await readFile(configPath, "utf8")) !== local) {
      into.kept.push(
        `${configPath} exists: kept (for managed mode it needs api: ${managed.apiUrl})`,
      );
    }
    return;
  }
  await writeFile(configPath, local);
  into.files.add(configPath);
  into.done.push(`wrote ${configPath} (managed: ${managed.apiUrl})`);
}

/** Removes what the install record lists; directories only when they are empty by then. */
export async function uninstallAgent(options: {
  paths: HostPaths;
  systemd: Systemd;
}): Promise<{ done: string[]; failed: string[] }> {
  const { paths, systemd } = options;
  const record = await readInstallRecord(paths.installRecord);
  const done: string[] = [];
  const failed: string[] = [];
  if (!record) return { done, failed };
  if (record.unitEnabled) {
    try {
      await systemd.disable(UNIT_NAME);
      done.push(`stopped and disabled ${UNIT_NAME}`);
    } catch (error) {
      failed.push(`disable ${UNIT_NAME}: ${(error as Error).message}`);
    }
  }
  for (const file of record.files) {
    await rm(file, { force: true });
    done.push(`removed ${file}`);
  }
  await rm(paths.installRecord, { force: true });
  await systemd.daemonReload().catch(() => {});
  for (const dir of [...record.dirs].reverse()) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (removed) done.push(`removed ${dir}`);
  }
  return { done, failed };
}
