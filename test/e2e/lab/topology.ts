// The e2e lab: four network namespaces joined by veth pairs, all made and removed by the tests.
//   client  tailscale0 fd7a:115c:a1e0::2/64  ──  relay tailscale0 fd7a:115c:a1e0::1/64
//   relay   eth0 198.18.1.1/24  ──  target eth0 198.18.1.2/24 (+ .3, + 169.254.169.254/32)
//   relay   up0  198.18.2.1/24  ──  upstream up0 198.18.2.2/24 (nsd)
// Traffic only ever goes to these namespaces. The target has no route back to the NAT64 pool:
// without masquerade its answers go nowhere, as on a real tailnet.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const ADDR = {
  client: "fd7a:115c:a1e0::2",
  relay6: "fd7a:115c:a1e0::1",
  relayEgress: "198.18.1.1",
  target: "198.18.1.2",
  targetUnlisted: "198.18.1.3",
  metadata: "169.254.169.254",
  relayUp: "198.18.2.1",
  upstream: "198.18.2.2",
} as const;

export const PREFIX = "fd4e:2a91:7c3d:6464::/96";
export const POOL = "192.168.240.0/20";
export const SPLIT = "r9929";
export const REAL = "tail1234.ts.net";
export const TARGET_PORT = 8080;

/** host.<prefix> for an IPv4 (RFC 6052 /96: the last 32 bits). */
export function synthesized(ipv4: string): string {
  return `${PREFIX.slice(0, PREFIX.indexOf("::/"))}::${ipv4}`;
}

export type Role = "client" | "relay" | "target" | "upstream";

export class Lab {
  readonly id: string;
  readonly dir: string;
  readonly ns: Record<Role, string>;
  private readonly children = new Set<ChildProcess>();

  private constructor(id: string, dir: string) {
    this.id = id;
    this.dir = dir;
    this.ns = {
      client: `n64e2e-${id}-c`,
      relay: `n64e2e-${id}-r`,
      target: `n64e2e-${id}-t`,
      upstream: `n64e2e-${id}-u`,
    };
  }

  /** Runs a command in a namespace; rejects with its stderr. */
  async exec(
    role: Role,
    command: string,
    args: readonly string[] = [],
    options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
  ): Promise<{ stdout: string; stderr: string }> {
    try {
      const running = execFileAsync("ip", ["netns", "exec", this.ns[role], command, ...args], {
        timeout: options.timeoutMs ?? 20_000,
        env: { ...process.env, ...options.env },
        maxBuffer: 16 * 1024 * 1024,
      });
      if (options.input !== undefined) running.child.stdin?.end(options.input);
      return await running;
    } catch (error) {
      const failed = error as Error & { stderr?: string; stdout?: string };
      failed.message = `${this.ns[role]}: ${command} ${args.join(" ")}: ${failed.stderr || failed.message}`;
      throw failed;
    }
  }

  /** A long-running process in a namespace, killed by destroy() if still alive. */
  spawn(
    role: Role,
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; logFile?: string } = {},
  ): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.ns[role], command, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.add(child);
    child.on("exit", () => this.children.delete(child));
    return child;
  }

  static async create(): Promise<Lab> {
    const id = randomBytes(3).toString("hex");
    const dir = await mkdtemp(join(tmpdir(), "n64e2e-"));
    const lab = new Lab(id, dir);
    try {
      await lab.build();
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  private async ip(args: string[]): Promise<void> {
    await execFileAsync("ip", args);
  }

  private async build(): Promise<void> {
    const { client, relay, target, upstream } = this.ns;
    for (const ns of [client, relay, target, upstream]) {
      await this.ip(["netns", "add", ns]);
      await this.ip(["-n", ns, "link", "set", "lo", "up"]);
    }
    // Veth pairs are created directly inside the namespaces: nothing appears in the root one.
    await this.ip([
      "link",
      "add",
      "tailscale0",
      "netns",
      client,
      "type",
      "veth",
      "peer",
      "name",
      "tailscale0",
      "netns",
      relay,
    ]);
    await this.ip([
      "link",
      "add",
      "eth0",
      "netns",
      relay,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      target,
    ]);
    await this.ip([
      "link",
      "add",
      "up0",
      "netns",
      relay,
      "type",
      "veth",
      "peer",
      "name",
      "up0",
      "netns",
      upstream,
    ]);
    await this.ip(["-n", client, "addr", "add", `${ADDR.client}/64`, "dev", "tailscale0", "nodad"]);
    await this.ip(["-n", relay, "addr", "add", `${ADDR.relay6}/64`, "dev", "tailscale0", "nodad"]);
    await this.ip(["-n", relay, "addr", "add", `${ADDR.relayEgress}/24`, "dev", "eth0"]);
    await this.ip(["-n", relay, "addr", "add", `${ADDR.relayUp}/24`, "dev", "up0"]);
    await this.ip(["-n", target, "addr", "add", `${ADDR.target}/24`, "dev", "eth0"]);
    await this.ip(["-n", target, "addr", "add", `${ADDR.targetUnlisted}/24`, "dev", "eth0"]);
    await this.ip(["-n", target, "addr", "add", `${ADDR.metadata}/32`, "dev", "eth0"]);
    await this.ip(["-n", upstream, "addr", "add", `${ADDR.upstream}/24`, "dev", "up0"]);
    for (const [ns, dev] of [
      [client, "tailscale0"],
      [relay, "tailscale0"],
      [relay, "eth0"],
      [relay, "up0"],
      [target, "eth0"],
      [upstream, "up0"],
    ] as const) {
      await this.ip(["-n", ns, "link", "set", dev, "up"]);
    }
    // The client reaches the prefix over the overlay, as an approved subnet route would do.
    await this.ip(["-n", client, "-6", "route", "add", PREFIX, "via", ADDR.relay6]);
    // If the guard let it through, 169.254.169.254 would really be reachable (in the target).
    await this.ip(["-n", relay, "route", "add", `${ADDR.metadata}/32`, "dev", "eth0"]);
    // The client's system resolver is the relay (split DNS stand-in): /etc/netns/<ns>/resolv.conf.
    await mkdir(join("/etc/netns", client), { recursive: true });
    await writeFile(join("/etc/netns", client, "resolv.conf"), `nameserver ${ADDR.relay6}\n`);
  }

  /** Waits until every link is up with its IPv6 link-local address (DAD done), bounded. */
  async settle(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const role of ["client", "relay", "target", "upstream"] as const) {
      while (Date.now() < deadline) {
        const { stdout } = await this.exec(role, "ip", ["-6", "-br", "address", "show"]);
        const links = stdout.split("\n").filter((line) => line && !line.startsWith("lo "));
        const local = await this.exec(role, "ip", ["-6", "route", "show", "table", "local"]);
        const linkLocalRoutes = local.stdout
          .split("\n")
          .filter((line) => line.startsWith("local fe80::"));
        const ready = links.every((line) => / UP /.test(line) && /fe80::/.test(line));
        if (ready && linkLocalRoutes.length >= links.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    // Anything still running in our namespaces (tayga orphans included) goes with them.
    for (const ns of Object.values(this.ns)) {
      const pids = await execFileAsync("ip", ["netns", "pids", ns]).then(
        (r) => r.stdout.split("\n").filter(Boolean),
        () => [] as string[],
      );
      for (const pid of pids) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {}
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const ns of Object.values(this.ns)) {
      await execFileAsync("ip", ["netns", "delete", ns]).catch(() => {});
    }
    await rm(join("/etc/netns", this.ns.client), { recursive: true, force: true });
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Existing lab namespaces (leftovers of a crashed run are reported, not touched). */
export async function labNamespaces(): Promise<string[]> {
  const { stdout } = await execFileAsync("ip", ["netns", "list"]);
  return stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith("n64e2e-"));
}
