// Faithful in-memory host systems for unit tests: nftables (interprets the scripts the agent
// writes, all-or-nothing like `nft -f`), links and routes, sysctls, and an exec that knows
// `tayga --mktun` and jool.
import { readFileSync } from "node:fs";
import type { Exec } from "../../src/relay-agent/host/exec.ts";
import type { IpRoute, Route } from "../../src/relay-agent/host/ip-route.ts";
import type {
  Nftables,
  NftBaseChain,
  NftCounter,
  NftSetElement,
  NftTableSummary,
} from "../../src/relay-agent/host/nftables.ts";
import type { Sysctl } from "../../src/relay-agent/host/sysctl.ts";
import type { TaygaProcesses } from "../../src/relay-agent/nat64/tayga-processes.ts";
import type { DataPlaneHost } from "../../src/relay-agent/resources/data-plane-host.ts";
import { FakeBpfTools } from "./fake-bpf-tools.ts";
import { FakeTailscaleCli } from "./fake-tailscale-cli.ts";

interface FakeChain {
  hook?: string;
  policy: string;
  rules: string[];
}

interface FakeTable {
  comment?: string;
  chains: Map<string, FakeChain>;
  sets: Map<string, Map<string, number | undefined>>;
  counters: Map<string, NftCounter>;
}

const key = (family: string, name: string) => `${family} ${name}`;

function cloneTables(tables: Map<string, FakeTable>): Map<string, FakeTable> {
  const copy = new Map<string, FakeTable>();
  for (const [name, table] of tables) {
    copy.set(name, {
      ...(table.comment === undefined ? {} : { comment: table.comment }),
      chains: new Map([...table.chains].map(([n, c]) => [n, { ...c, rules: [...c.rules] }])),
      sets: new Map([...table.sets].map(([n, s]) => [n, new Map(s)])),
      counters: new Map(table.counters),
    });
  }
  return copy;
}

function parseElements(text: string): Array<{ address: string; timeout?: number }> {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const [address = "", , timeout] = item.split(/\s+/);
      return timeout ? { address, timeout: Number.parseInt(timeout, 10) } : { address };
    });
}

export class FakeNftables implements Nftables {
  tables = new Map<string, FakeTable>();
  readonly scripts: string[] = [];
  /** Makes the next run() fail, like nft rejecting a script. */
  failNext: string | undefined;

  async table(family: string, name: string): Promise<NftTableSummary | undefined> {
    const table = this.tables.get(key(family, name));
    if (!table) return undefined;
    const chains = Object.fromEntries([...table.chains].map(([n, c]) => [n, c.rules.length]));
    return table.comment === undefined ? { chains } : { comment: table.comment, chains };
  }

  async run(script: string): Promise<void> {
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = undefined;
      throw new Error(message);
    }
    const tables = cloneTables(this.tables);
    const lines = script.split("\n");
    for (let index = 0; index < lines.length; index++) {
      const line = (lines[index] ?? "").trim();
      if (!line) continue;
      let match = /^table (\w+) (\w+) \{$/.exec(line);
      if (match) {
        const end = lines.findIndex((l, i) => i > index && l === "}");
        tables.set(
          key(match[1] ?? "", match[2] ?? ""),
          this.parseTable(lines.slice(index + 1, end)),
        );
        index = end;
        continue;
      }
      match = /^(?:add )?table (\w+) (\w+)$/.exec(line);
      if (match) {
        const name = key(match[1] ?? "", match[2] ?? "");
        if (!tables.has(name)) tables.set(name, this.parseTable([]));
        continue;
      }
      match = /^delete table (\w+) (\w+)$/.exec(line);
      if (match) {
        if (!tables.delete(key(match[1] ?? "", match[2] ?? "")))
          throw new Error("No such file or directory");
        continue;
      }
      match = /^(add|delete) element (\w+) (\w+) (\w+) \{ (.*) \}$/.exec(line);
      if (match) {
        const set = tables.get(key(match[2] ?? "", match[3] ?? ""))?.sets.get(match[4] ?? "");
        if (!set) throw new Error("No such file or directory");
        for (const element of parseElements(match[5] ?? "")) {
          if (match[1] === "add") {
            if (!set.has(element.address)) set.set(element.address, element.timeout);
          } else if (!set.delete(element.address)) {
            throw new Error("Could not process rule: No such file or directory");
          }
        }
        continue;
      }
      throw new Error(`fake nft: cannot parse "${line}"`);
    }
    this.tables = tables;
    this.scripts.push(script);
  }

  private parseTable(lines: string[]): FakeTable {
    const table: FakeTable = { chains: new Map(), sets: new Map(), counters: new Map() };
    let chain: FakeChain | undefined;
    for (const raw of lines) {
      const line = raw.trim();
      const comment = /^comment "(.*)"$/.exec(line);
      if (comment) table.comment = comment[1];
      const counter = /^counter (\w+) \{\}$/.exec(line);
      if (counter) table.counters.set(counter[1] ?? "", { packets: 0, bytes: 0 });
      const set = /^set (\w+) \{/.exec(line);
      if (set) table.sets.set(set[1] ?? "", new Map());
      const chainStart = /^chain (\w+) \{$/.exec(line);
      if (chainStart) {
        chain = { policy: "accept", rules: [] };
        table.chains.set(chainStart[1] ?? "", chain);
        continue;
      }
      if (line === "}") {
        chain = undefined;
        continue;
      }
      if (chain) {
        const header = /hook (\w+) .*policy (\w+);/.exec(line);
        if (header) {
          chain.hook = header[1];
          chain.policy = header[2] ?? "accept";
        } else chain.rules.push(line);
      }
    }
    return table;
  }

  async counters(family: string, table: string): Promise<Record<string, NftCounter>> {
    return Object.fromEntries(this.tables.get(key(family, table))?.counters ?? []);
  }

  bump(family: string, table: string, counter: string, packets: number): void {
    const counters = this.tables.get(key(family, table))?.counters;
    const current = counters?.get(counter) ?? { packets: 0, bytes: 0 };
    counters?.set(counter, {
      packets: current.packets + packets,
      bytes: current.bytes + packets * 100,
    });
  }

  async elements(family: string, table: string, set: string): Promise<NftSetElement[]> {
    const found = this.tables.get(key(family, table))?.sets.get(set);
    return [...(found ?? [])].map(([address, timeout]) =>
      timeout === undefined ? { address } : { address, expiresSeconds: timeout },
    );
  }

  async baseChains(): Promise<NftBaseChain[]> {
    const result: NftBaseChain[] = [];
    for (const [name, table] of this.tables) {
      const [family = "", tableName = ""] = name.split(" ");
      for (const [chainName, chain] of table.chains) {
        if (!chain.hook) continue;
        result.push({
          family,
          table: tableName,
          name: chainName,
          hook: chain.hook,
          policy: chain.policy,
          dropRules: chain.rules.filter((rule) => / drop$/.test(rule)).length,
        });
      }
    }
    return result;
  }
}

export class FakeIpRoute implements IpRoute {
  links = new Map<string, { up: boolean }>();
  routeTable: Route[] = [];
  hostAddresses: string[] = ["127.0.0.1", "::1", "198.18.1.1", "fd7a:115c:a1e0::1"];

  async linkExists(name: string): Promise<boolean> {
    return this.links.has(name);
  }
  async linkUp(name: string): Promise<boolean> {
    return this.links.get(name)?.up ?? false;
  }
  async setLinkUp(name: string): Promise<void> {
    const link = this.links.get(name);
    if (!link) throw new Error(`Cannot find device "${name}"`);
    link.up = true;
  }
  async deleteLink(name: string): Promise<void> {
    if (!this.links.delete(name)) throw new Error(`Cannot find device "${name}"`);
    this.routeTable = this.routeTable.filter((route) => route.device !== name);
  }
  async routes(device: string): Promise<Route[]> {
    return this.routeTable.filter((route) => route.device === device);
  }
  async addRoute(route: Route): Promise<void> {
    if (!this.links.get(route.device)?.up) throw new Error("Network is down");
    this.routeTable = [
      ...this.routeTable.filter(
        (r) => !(r.family === route.family && r.destination === route.destination),
      ),
      route,
    ];
  }
  async deleteRoute(route: Route): Promise<void> {
    const before = this.routeTable.length;
    this.routeTable = this.routeTable.filter(
      (r) =>
        !(
          r.family === route.family &&
          r.destination === route.destination &&
          r.device === route.device
        ),
    );
    if (this.routeTable.length === before) throw new Error("RTNETLINK answers: No such process");
  }
  async addresses(): Promise<string[]> {
    return [...this.hostAddresses];
  }
}

export class FakeSysctl implements Sysctl {
  values = new Map<string, string>([
    ["net.ipv4.ip_forward", "0"],
    ["net.ipv6.conf.all.forwarding", "0"],
  ]);
  async get(name: string): Promise<string> {
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`ENOENT ${name}`);
    return value;
  }
  async set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
  }
}

/**
 * taygas by config file, as /proc would list them; `start` is what `agent run`'s supervisor
 * does (a running one is stopped and started again with a new pid).
 */
export class FakeTaygaProcesses implements TaygaProcesses {
  readonly pids = new Map<string, number>();
  readonly calls: string[] = [];
  private nextPid = 100;

  async running(confPath: string): Promise<number[]> {
    const pid = this.pids.get(confPath);
    return pid === undefined ? [] : [pid];
  }

  start = async (confPath: string): Promise<void> => {
    this.calls.push(`${this.pids.has(confPath) ? "restart" : "start"} ${confPath}`);
    this.pids.set(confPath, this.nextPid++);
  };

  async stop(confPath: string): Promise<number[]> {
    this.calls.push(`stop ${confPath}`);
    const pids = await this.running(confPath);
    this.pids.delete(confPath);
    return pids;
  }
}

export interface FakeHost extends DataPlaneHost {
  readonly nft: FakeNftables;
  readonly ip: FakeIpRoute;
  readonly sysctl: FakeSysctl;
  readonly tailscale: FakeTailscaleCli;
  readonly bpf: FakeBpfTools;
  readonly tayga: FakeTaygaProcesses;
  readonly commands: string[];
}

/** A host with nothing of ours on it; `tayga --mktun -c conf` creates the conf's tun device. */
export function fakeHost(
  options: { routes?: string[]; tailscaleInstalled?: boolean; jool?: boolean } = {},
): FakeHost {
  const ip = new FakeIpRoute();
  const commands: string[] = [];
  // With `jool: true` the module loads and one instance can be added, shown and removed.
  let joolPool6: string | undefined;
  const exec: Exec = async (command, args) => {
    commands.push([command, ...args].join(" "));
    if (command === "tayga" && args[0] === "--mktun") {
      const conf = readFileSync(args[2] ?? "", "utf8");
      const tun = /^tun-device (\S+)$/m.exec(conf)?.[1] ?? "";
      ip.links.set(tun, { up: false });
      return { stdout: "", stderr: `Created persistent tun device ${tun}\n` };
    }
    if (options.jool && command === "modprobe") return { stdout: "", stderr: "" };
    if (options.jool && command === "jool") {
      const line = args.join(" ");
      if (line.startsWith("instance add ")) {
        joolPool6 = args[args.indexOf("--pool6") + 1];
        return { stdout: "", stderr: "" };
      }
      if (line.startsWith("instance remove ")) joolPool6 = undefined;
      else if (joolPool6 && line.endsWith("global display"))
        return { stdout: `  pool6: ${joolPool6}\n`, stderr: "" };
      else throw new Error("jool: the instance does not exist");
      return { stdout: "", stderr: "" };
    }
    if (command === "jool" || command === "modprobe") throw new Error(`${command}: not found`);
    return { stdout: "", stderr: "" };
  };
  return {
    nft: new FakeNftables(),
    ip,
    bpf: new FakeBpfTools({ deviceExists: (device) => ip.links.has(device) }),
    tayga: new FakeTaygaProcesses(),
    sysctl: new FakeSysctl(),
    tailscale: new FakeTailscaleCli({
      routes: options.routes ?? [],
      installed: options.tailscaleInstalled ?? true,
    }),
    exec,
    commands,
  };
}
