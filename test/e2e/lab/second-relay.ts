// A second relay node for the lab: its own namespace (n64e2e-<lab id>-r2, removed with the lab
// by destroy()), linked only to the upstream namespace where the API runs:
//   relay2 up1 198.18.3.1/24  ──  upstream up1 198.18.3.2/24
// It runs a managed agent of the same relay (same token) with its own fake tailscale CLI.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { Lab } from "./topology.ts";

const run = promisify(execFile);

export const RELAY2 = { up: "198.18.3.1", upstream: "198.18.3.2" } as const;

export class SecondRelay {
  readonly ns: string;
  readonly #children = new Set<ChildProcess>();

  private constructor(ns: string) {
    this.ns = ns;
  }

  static async create(lab: Lab): Promise<SecondRelay> {
    const relay = new SecondRelay(`n64e2e-${lab.id}-r2`);
    const ip = (args: string[]) => run("ip", args);
    await ip(["netns", "add", relay.ns]);
    try {
      await ip(["-n", relay.ns, "link", "set", "lo", "up"]);
      await ip([
        "link",
        "add",
        "up1",
        "netns",
        relay.ns,
        "type",
        "veth",
        "peer",
        "name",
        "up1",
        "netns",
        lab.ns.upstream,
      ]);
      await ip(["-n", relay.ns, "addr", "add", `${RELAY2.up}/24`, "dev", "up1"]);
      await ip(["-n", lab.ns.upstream, "addr", "add", `${RELAY2.upstream}/24`, "dev", "up1"]);
      await ip(["-n", relay.ns, "link", "set", "up1", "up"]);
      await ip(["-n", lab.ns.upstream, "link", "set", "up1", "up"]);
    } catch (error) {
      await relay.destroy();
      throw error;
    }
    return relay;
  }

  spawn(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.ns, command, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#children.add(child);
    child.on("exit", () => this.#children.delete(child));
    return child;
  }

  async destroy(): Promise<void> {
    for (const child of this.#children) child.kill("SIGKILL");
    const pids = await run("ip", ["netns", "pids", this.ns]).then(
      (r) => r.stdout.split("\n").filter(Boolean),
      () => [] as string[],
    );
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 100));
    await run("ip", ["netns", "delete", this.ns]).catch(() => {});
  }
}
