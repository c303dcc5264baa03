// systemd behind a small interface. On a real root it runs systemctl; under a test root it does
// what `systemctl --root` does offline: the [Install] symlink in multi-user.target.wants. The
// fake for tests (calls recorded, failures injected) is test/fakes/fake-systemd.ts.
import { lstat, mkdir, rm, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Exec } from "./exec.ts";

export interface Systemd {
  daemonReload(): Promise<void>;
  /** Enables the unit, and starts it when `start`. */
  enable(unit: string, start: boolean): Promise<void>;
  /** Starts an enabled unit that is not running. */
  start(unit: string): Promise<void>;
  /** Stops and disables the unit. */
  disable(unit: string): Promise<void>;
  /** Rejects when systemctl cannot tell (not installed, no bus): "cannot check", not "no". */
  isEnabled(unit: string): Promise<boolean>;
  /** Whether the unit runs now; rejects when systemctl cannot tell. */
  isActive(unit: string): Promise<boolean>;
  /** The unit file changed on disk since systemd read it (`NeedDaemonReload`). */
  needsReload(unit: string): Promise<boolean>;
}

/**
 * `systemctl is-enabled|is-active`'s exit status: Exec rejects on any non-zero status without
 * saying which, and "not enabled" (1) must not read as "systemctl is missing" (127).
 */
async function systemctlStatus(exec: Exec, verb: string, unit: string): Promise<number> {
  const { stdout } = await exec("sh", [
    "-c",
    'systemctl "$1" --quiet "$2"; echo "status=$?"',
    "sh",
    verb,
    unit,
  ]);
  return Number(stdout.match(/status=(\d+)/)?.[1] ?? 255);
}

export class RealSystemd implements Systemd {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  async daemonReload(): Promise<void> {
    await this.exec("systemctl", ["daemon-reload"]);
  }

  async enable(unit: string, start: boolean): Promise<void> {
    await this.exec("systemctl", ["enable", ...(start ? ["--now"] : []), unit]);
  }

  async start(unit: string): Promise<void> {
    await this.exec("systemctl", ["start", unit]);
  }

  async disable(unit: string): Promise<void> {
    await this.exec("systemctl", ["disable", "--now", unit]);
  }

  async isEnabled(unit: string): Promise<boolean> {
    const status = await systemctlStatus(this.exec, "is-enabled", unit);
    // 1: disabled, or no such unit file (systemd's "not-found").
    if (status === 0 || status === 1) return status === 0;
    throw new Error(`systemctl is-enabled ${unit} exited with status ${status}`);
  }

  async isActive(unit: string): Promise<boolean> {
    const status = await systemctlStatus(this.exec, "is-active", unit);
    // 3: inactive (LSB "program is not running"), also for a unit systemd does not know.
    if (status === 0 || status === 3) return status === 0;
    throw new Error(
      `systemctl is-active ${unit} exited with status ${status} (is systemd running here?)`,
    );
  }

  async needsReload(unit: string): Promise<boolean> {
    const { stdout } = await this.exec("systemctl", [
      "show",
      "--property=NeedDaemonReload",
      "--value",
      unit,
    ]);
    return stdout.trim() === "yes";
  }
}

/** systemd under a directory that is not "/": enabling is the WantedBy symlink, nothing runs. */
export class OfflineSystemd implements Systemd {
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private wantsLink(unit: string): string {
    return join(this.root, "etc/systemd/system/multi-user.target.wants", unit);
  }

  async daemonReload(): Promise<void> {}

  async enable(unit: string): Promise<void> {
    const link = this.wantsLink(unit);
    await mkdir(dirname(link), { recursive: true });
    await rm(link, { force: true });
    await symlink(`/etc/systemd/system/${unit}`, link);
  }

  async start(unit: string): Promise<void> {
    throw new Error(`nothing runs under ${this.root}: start ${unit} on the host it belongs to`);
  }

  async disable(unit: string): Promise<void> {
    await rm(this.wantsLink(unit), { force: true });
  }

  async isEnabled(unit: string): Promise<boolean> {
    return lstat(this.wantsLink(unit)).then(
      () => true,
      () => false,
    );
  }

  async isActive(): Promise<boolean> {
    return false;
  }

  /** No systemd reads the unit files under a test root. */
  async needsReload(): Promise<boolean> {
    return false;
  }
}
