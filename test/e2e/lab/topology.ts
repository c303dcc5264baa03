// The e2e lab: four network namespaces joined by veth pairs, all made and removed by the tests.
//   client  tailscale0 fd7a:115c:a1e0::2/64  ──  relay tailscale0 fd7a:115c:a1e0::1/64
//   relay   eth0 198.18.1.1/24  ──  target eth0 198.18.1.2/24 (+ .3, + 169.254.169.254/32)
//   relay   up0  198.18.2.1/24  ──  upstream up0 198.18.2.2/24 (nsd)
//   relay   lan0 198.18.3.1/24 fdec:3::1/64  ──  lan lan0 198.18.3.2/24 fdec:3::2/64
//     (optional, `Lab.create({ lan: true })`: a host on the relay's LAN, not on the tailnet)
//   relay   ctl0 198.18.5.1/24  ──  control ctl0 198.18.5.2/24
//     (optional, `Lab.create({ control: true })`: the control plane's own namespace; with a
//     second relay also relay2 ctl1 198.18.6.1/24 ── control ctl1 198.18.6.2/24)
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
  relayLan: "198.18.3.1",
  lan: "198.18.3.2",
  relayLan6: "fdec:3::1",
  lan6: "fdec:3::2",
  relay2Up: "198.18.4.1",
  upstream2: "198.18.4.2",
  relayCtl: "198.18.5.1",
  control: "198.18.5.2",
  relay2Ctl: "198.18.6.1",
  control2: "198.18.6.2",
} as const;

export const LAN_NET = "198.18.3.0/24";
export const LAN_NET6 = "fdec:3::/64";

export const PREFIX = "fd4e:2a91:7c3d:6464::/96";
export const POOL = "192.168.240.0/20";
export const SPLIT = "r9929";
export const REAL = "tail1234.ts.net";
export const TARGET_PORT = 8080;

/** host.<prefix> for an IPv4 (RFC 6052 /96: the last 32 bits). */
export function synthesized(ipv4: string): string {
  return `${PREFIX.slice(0, PREFIX.indexOf("::/"))}::${ipv4}`;
}

export type Role = "client" | "relay" | "target" | "upstream" | "lan" | "relay2" | "control";

export interface LabOptions {
  /** Adds the LAN namespace: a host beside the relay that is not on the tailnet. */
  readonly lan?: boolean;
  /**
   * Adds a second relay node, linked to the upstream namespace (relay2 up1 198.18.4.1/24 ──
   * upstream up1 198.18.4.2/24) and, with `control`, to the control namespace (ctl1).
   */
  readonly secondRelay?: boolean;
  /**
   * Adds the control namespace (the API, the bot and the fakes of Tailscale and Slack), linked
   * to the relay (and the second relay) only: relay ctl0 ── control ctl0, relay2 ctl1 ── ctl1.
   */
  readonly control?: boolean;
}

export class Lab {
  readonly id: string;
  readonly dir: string;
  readonly ns: Record<Role, string>;
  /** The namespaces this lab made (the LAN one only when asked for). */
  readonly roles: readonly Role[];
  private readonly children = new Set<ChildProcess>();

  private constructor(id: string, dir: string, options: LabOptions) {
    this.id = id;
    this.dir = dir;
    this.ns = {
      client: `n64e2e-${id}-c`,
      relay: `n64e2e-${id}-r`,
      target: `n64e2e-${id}-t`,
      upstream: `n64e2e-${id}-u`,
      lan: `n64e2e-${id}-l`,
      relay2: `n64e2e-${id}-r2`,
      control: `n64e2e-${id}-k`,
    };
    this.roles = [
      "client",
      "relay",
      "target",
      "upstream",
      ...(options.lan ? ["lan" as const] : []),
      ...(options.secondRelay ? ["relay2" as const] : []),
      ...(options.control ? ["control" as const] : []),
    ];
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

  static async create(options: LabOptions = {}): Promise<Lab> {
    const id = randomBytes(3).toString("hex");
    const dir = await mkdtemp(join(tmpdir(), "n64e2e-"));
    const lab = new Lab(id, dir, options);
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

  /** A veth pair made directly inside two namespaces (nothing appears in the root one). */
  private async veth(name: string, left: string, right: string): Promise<void> {
    await this.ip([
      "link",
      "add",
      name,
      "netns",
      left,
      "type",
      "veth",
      "peer",
      "name",
      name,
      "netns",
      right,
    ]);
  }

  private async build(): Promise<void> {
    const { client, relay, target, upstream } = this.ns;
    for (const ns of [client, relay, target, upstream]) {
      await this.ip(["netns", "add", ns]);
      await this.ip(["-n", ns, "link", "set", "lo", "up"]);
    }
    // Veth pairs are created directly inside the namespaces: nothing appears in the root one.
    await this.veth("tailscale0", client, relay);
    await this.veth("eth0", relay, target);
    await this.veth("up0", relay, upstream);
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
    if (this.roles.includes("lan")) await this.buildLan();
    if (this.roles.includes("relay2")) await this.buildSecondRelay();
    if (this.roles.includes("control")) await this.buildControl();
  }

  /** The control namespace and its links to the relay nodes (nothing else reaches it). */
  private async buildControl(): Promise<void> {
    const { relay, relay2, control } = this.ns;
    await this.ip(["netns", "add", control]);
    await this.ip(["-n", control, "link", "set", "lo", "up"]);
    const links: [string, string, string, string][] = [
      ["ctl0", relay, ADDR.relayCtl, ADDR.control],
    ];
    if (this.roles.includes("relay2")) links.push(["ctl1", relay2, ADDR.relay2Ctl, ADDR.control2]);
    for (const [dev, node, nodeAddress, controlAddress] of links) {
      await this.veth(dev, node, control);
      await this.ip(["-n", node, "addr", "add", `${nodeAddress}/24`, "dev", dev]);
      await this.ip(["-n", control, "addr", "add", `${controlAddress}/24`, "dev", dev]);
      await this.ip(["-n", node, "link", "set", dev, "up"]);
      await this.ip(["-n", control, "link", "set", dev, "up"]);
    }
  }

  private async buildSecondRelay(): Promise<void> {
    const { relay2, upstream } = this.ns;
    await this.ip(["netns", "add", relay2]);
    await this.ip(["-n", relay2, "link", "set", "lo", "up"]);
    await this.veth("up1", relay2, upstream);
    await this.ip(["-n", relay2, "addr", "add", `${ADDR.relay2Up}/24`, "dev", "up1"]);
    await this.ip(["-n", upstream, "addr", "add", `${ADDR.upstream2}/24`, "dev", "up1"]);
    await this.ip(["-n", relay2, "link", "set", "up1", "up"]);
    await this.ip(["-n", upstream, "link", "set", "up1", "up"]);
  }

  /**
   * The LAN host: a second veth on the relay that is not the overlay. The target and the tailnet
   * client route the LAN back through the relay, so ordinary forwarding (not ours) can be tested;
   * the route to the prefix is left to the test (via the relay's link-local address).
   */
  private async buildLan(): Promise<void> {
    const { client, relay, target, lan } = this.ns;
    await this.ip(["netns", "add", lan]);
    await this.ip(["-n", lan, "link", "set", "lo", "up"]);
    await this.veth("lan0", relay, lan);
    await this.ip(["-n", relay, "addr", "add", `${ADDR.relayLan}/24`, "dev", "lan0"]);
    await this.ip(["-n", relay, "addr", "add", `${ADDR.relayLan6}/64`, "dev", "lan0", "nodad"]);
    await this.ip(["-n", lan, "addr", "add", `${ADDR.lan}/24`, "dev", "lan0"]);
    await this.ip(["-n", lan, "addr", "add", `${ADDR.lan6}/64`, "dev", "lan0", "nodad"]);
    await this.ip(["-n", relay, "link", "set", "lan0", "up"]);
    await this.ip(["-n", lan, "link", "set", "lan0", "up"]);
    await this.ip(["-n", lan, "route", "add", "198.18.1.0/24", "via", ADDR.relayLan]);
    await this.ip(["-n", target, "route", "add", LAN_NET, "via", ADDR.relayEgress]);
    await this.ip(["-n", client, "-6", "route", "add", LAN_NET6, "via", ADDR.relay6]);
    await this.ip(["-n", lan, "-6", "route", "add", "fd7a:115c:a1e0::/64", "via", ADDR.relayLan6]);
  }

  /** The relay's link-local address on an interface (what a LAN host can route via). */
  async linkLocal(role: Role, device: string): Promise<string> {
    const { stdout } = await this.exec(role, "ip", [
      "-6",
      "-j",
      "address",
      "show",
      "dev",
      device,
      "scope",
      "link",
    ]);
    // Addresses the filter leaves out show up as empty objects.
    const parsed = JSON.parse(stdout) as { addr_info?: { local?: string }[] }[];
    const address = parsed[0]?.addr_info?.find((info) => info.local)?.local;
    if (!address) throw new Error(`${this.ns[role]}: no link-local address on ${device}`);
    return address;
  }

  /** Waits until every link is up with its IPv6 link-local address (DAD done), bounded. */
  async settle(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const role of this.roles) {
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
    const created = this.roles.map((role) => this.ns[role]);
    for (const ns of created) {
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
    for (const ns of created) {
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
