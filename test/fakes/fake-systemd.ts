// A faithful in-memory systemd for unit tests: enabling needs the unit file (as `systemctl
// enable` does), `disable` also stops (the agent only ever calls `disable --now`), and any call
// can be made to fail, or systemctl made unusable (no bus, not installed).
import { readdir, readFile, stat } from "node:fs/promises";
import type { Systemd } from "../../src/relay-agent/host/systemd.ts";

type Method =
  | "daemonReload"
  | "enable"
  | "start"
  | "disable"
  | "isEnabled"
  | "isActive"
  | "needsReload";

const readIfThere = (path: string) => readFile(path, "utf8").catch(() => undefined);

export class FakeSystemd implements Systemd {
  readonly enabled = new Set<string>();
  readonly active = new Set<string>();
  /** Every call, as systemctl's command line (`enable --now x.service`). */
  readonly calls: string[] = [];
  /** The next call of each method listed here rejects with this message. */
  readonly failNext = new Map<Method, string>();
  /** Every call rejects, as systemctl does on a host without systemd running. */
  unusable = false;
  /** Where the unit files are (`enable` fails for a unit without one). */
  private readonly unitDir: string;
  /** Each unit file as the last daemon-reload read it (absent: systemd has not seen it). */
  private readonly loaded = new Map<string, string | undefined>();

  constructor(unitDir: string) {
    this.unitDir = unitDir;
  }

  private call(method: Method, line: string): void {
    this.calls.push(line);
    const failure = this.failNext.get(method);
    if (failure !== undefined) {
      this.failNext.delete(method);
      throw new Error(`systemctl ${line} failed: ${failure}\n    at a stack nobody should see`);
    }
    if (this.unusable) {
      throw new Error(
        "System has not been booted with systemd as init system (PID 1). Can't operate.",
      );
    }
  }

  async daemonReload(): Promise<void> {
    this.call("daemonReload", "daemon-reload");
    this.loaded.clear();
    for (const name of await readdir(this.unitDir).catch(() => [])) {
      this.loaded.set(name, await readIfThere(`${this.unitDir}/${name}`));
    }
  }

  async enable(unit: string, start: boolean): Promise<void> {
    this.call("enable", `enable ${start ? "--now " : ""}${unit}`);
    const file = `${this.unitDir}/${unit}`;
    if (
      !(await stat(file).then(
        () => true,
        () => false,
      ))
    ) {
      throw new Error(`Failed to enable unit: Unit file ${unit} does not exist.`);
    }
    this.enabled.add(unit);
    if (start) this.active.add(unit);
  }

  async start(unit: string): Promise<void> {
    this.call("start", `start ${unit}`);
    this.active.add(unit);
  }

  async disable(unit: string): Promise<void> {
    this.call("disable", `disable --now ${unit}`);
    this.enabled.delete(unit);
    this.active.delete(unit);
  }

  async isEnabled(unit: string): Promise<boolean> {
    this.call("isEnabled", `is-enabled ${unit}`);
    return this.enabled.has(unit);
  }

  async isActive(unit: string): Promise<boolean> {
    this.call("isActive", `is-active ${unit}`);
    return this.active.has(unit);
  }

  async needsReload(unit: string): Promise<boolean> {
    this.call("needsReload", `show --property=NeedDaemonReload ${unit}`);
    const onDisk = await readIfThere(`${this.unitDir}/${unit}`);
    return this.loaded.get(unit) !== onDisk;
  }
}
