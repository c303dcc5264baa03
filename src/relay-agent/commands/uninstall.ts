// `nat64-relay agent uninstall [--purge]`: stop the unit, undo what apply changed on the host
// (table, tun, routes, sysctls, advertised route), remove what install wrote. Nothing else. Like
// `apt remove`, it keeps what a reinstall needs to pick up where it left off: config files the
// operator edited, and the generated NAT64 prefix (a new one would no longer match the subnet
// route the tailnet admin approved). `--purge` removes those too.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Systemd } from "../host/systemd.ts";
import {
  type KeptFile,
  keepResidue,
  readInstallRecord,
  uninstallAgent,
} from "../install/install.ts";
import type { DataPlaneHost } from "../resources/data-plane-host.ts";
import { removeIfEmpty, teardownDataPlane } from "../resources/plan.ts";
import { readRecord, removeRecord } from "../resources/record.ts";
import { taygaProcessesOf } from "../resources/tayga-process.ts";
import { DEFAULT_STATE_DIR, PREFIX_FILE, readKeptPrefix } from "../state/prefix-store.ts";
import { systemdFor } from "./install.ts";
import type { CommonOptions } from "./options.ts";

export interface UninstallOptions extends CommonOptions {
  /** Also remove edited config files and the generated prefix. */
  readonly purge?: boolean;
}

/** The command that removes what was kept, with the options this run was given. */
function purgeCommand(options: UninstallOptions): string {
  const { root, stateDir } = options.paths;
  const rootFlag = root === "/" ? "" : ` --root ${root}`;
  const stateFlag = stateDir === join(root, DEFAULT_STATE_DIR) ? "" : ` --state-dir ${stateDir}`;
  return `nat64-relay agent uninstall --purge${rootFlag}${stateFlag}`;
}

/** The generated prefix, kept unless purging: removing it would change every AAAA answer. */
async function keepOrRemovePrefix(options: UninstallOptions): Promise<KeptFile | undefined> {
  const path = join(options.paths.stateDir, PREFIX_FILE);
  const prefix = await readKeptPrefix(options.paths.stateDir);
  if (prefix && !options.purge) {
    return {
      path,
      reason: `the generated NAT64 prefix ${prefix}: a reinstall reuses it, so the subnet route approved for it still matches`,
    };
  }
  await rm(path, { force: true });
  return undefined;
}

export async function uninstallCommand(
  options: UninstallOptions,
  host: DataPlaneHost,
  systemd: Systemd = systemdFor(options.paths.root),
): Promise<number> {
  const { paths } = options;
  // Which directories install created: uninstallAgent cannot remove the state directory yet
  // (the data plane's files are still in it), so that is retried at the end.
  const installedDirs = (await readInstallRecord(paths.installRecord))?.dirs ?? [];
  const unit = await uninstallAgent({ paths, systemd, purge: options.purge === true });
  const kept = [...unit.kept];
  // Also a tayga no record knows of (its agent was killed): it holds the tun teardown deletes.
  const stray = await taygaProcessesOf(host).stop(paths.taygaConf);
  const record = await readRecord(paths.dataPlaneRecord);
  const plane = await teardownDataPlane(host, record);
  if (plane.failed.length === 0) {
    await removeRecord(paths.dataPlaneRecord);
    // The agent's own state files; the directories only if we created them and they are empty.
    const prefix = await keepOrRemovePrefix(options);
    if (prefix) kept.push(prefix);
    await rm(paths.guardState, { force: true });
  }
  // Written before the directories go, so the state directory holding it stays.
  const created = [...new Set([...installedDirs, ...record.stateDirs])];
  if (kept.length) kept.push(await keepResidue(paths, kept, created));
  if (plane.failed.length === 0) {
    for (const dir of created.sort((a, b) => b.length - a.length)) {
      if (await removeIfEmpty(dir)) plane.done.push(`removed ${dir}`);
    }
  }
  for (const line of [
    ...unit.done,
    ...stray.map((pid) => `stopped tayga (pid ${pid})`),
    ...plane.done,
  ]) {
    console.log(`✔ ${line}`);
  }
  for (const file of kept) console.log(`• kept ${file.path}: ${file.reason}`);
  if (kept.length) {
    console.log(`To remove what was kept as well: ${purgeCommand(options)}`);
  }
  for (const line of [...unit.failed, ...plane.failed]) console.error(`✘ ${line}`);
  if (unit.done.length + plane.done.length + stray.length + kept.length === 0) {
    console.log("nothing to remove.");
  }
  return unit.failed.length + plane.failed.length ? 1 : 0;
}
