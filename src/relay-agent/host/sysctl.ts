// Kernel parameters behind a small interface. The real one reads and writes /proc/sys, which
// is per network namespace for net.*: inside `ip netns exec` it changes only that namespace
// (docs/design.md, "Netfilter and the host").
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface Sysctl {
  get(key: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

export class RealSysctl implements Sysctl {
  private readonly procSys: string;

  constructor(procSys = "/proc/sys") {
    this.procSys = procSys;
  }

  private path(key: string): string {
    return join(this.procSys, ...key.split("."));
  }

  async get(key: string): Promise<string> {
    return (await readFile(this.path(key), "utf8")).trim();
  }

  async set(key: string, value: string): Promise<void> {
    await writeFile(this.path(key), `${value}\n`);
  }
}
