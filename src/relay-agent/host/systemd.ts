// systemd behind a small interface. On a real root it runs systemctl; under a test root it does
// what `systemctl --root` does offline: the [Install] symlink in multi-user.target.wants.
import { lstat, mkdir, rm, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Exec } from "./exec.ts";

export interface Systemd {
  daemonReload(): Promise<void>;
  /** Enables the unit, and starts it when `start`. */
  enable(unit: string, start: boolean): Promise<void>;
  /** Stops and disables the unit. */
  disable(unit: string): Promise<void>;
  isEnabled(unit: string): Promise<boolean>;
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

  async disable(unit: string): Promise<void> {
    await this.exec("systemctl", ["disable", "--now", unit]);
  }

  async isEnabled(unit: string): Promise<boolean> {
    return this.exec("systemctl", ["is-enabled", "--quiet", unit]).then(
      () => true,
      () => false,
    );
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

  async disable(unit: string): Promise<void> {
    await rm(this.wantsLink(unit), { force: true });
  }

  async isEnabled(unit: string): Promise<boolean> {
    return lstat(this.wantsLink(unit)).then(
      () => true,
      () => false,
    );
  }
}
