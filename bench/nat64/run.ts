// `npm run bench:nat64`: TCP throughput client ↔ target through the relay, in network
// namespaces (root), three paths interleaved in the same run:
//   fast path   IPv6 → tc-BPF on tayga's tun → IPv4, masquerade, guard (fastPath: auto)
//   tayga only  IPv6 → tayga → IPv4, masquerade, guard (fastPath: off, hot-switched by SIGHUP)
//   kernel      plain IPv4 forwarding through the same relay namespace, with masquerade
// Each round runs every path in both directions (iperf3 -t 5, one stream); ≥ 3 rounds. Prints
// min/median/max Gbit/s per path and direction, the median against kernel forwarding, and CPU
// per Gbit/s: whole-machine busy time from /proc/stat (other work on the machine counts too)
// and tayga's own share. Figures are printed, never asserted.
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { probeFastPath } from "../../test/e2e/lab/fast-path-probe.ts";
import { labUnavailableReason } from "../../test/e2e/lab/require-lab.ts";
import {
  type RunningAgent,
  startAgent,
  startNsd,
  waitFor,
  writeAgentConfig,
} from "../../test/e2e/lab/services.ts";
import { ADDR, Lab, SPLIT } from "../../test/e2e/lab/topology.ts";

const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
const SECONDS = 5;
const CLIENT4 = "198.18.3.2";
const RELAY4 = "198.18.3.1";
const TICKS_PER_SECOND = 100;

type PathName = "fast path" | "tayga only" | "kernel";
type Direction = "client→target" | "target→client";

interface Run {
  readonly gbps: number;
  /** Whole machine, % of one core, while the run lasted (other work on the machine included). */
  readonly machineCpu: number;
  /** iperf3's own report: sender + receiver process CPU, % of one core. */
  readonly iperfCpu: number;
  readonly taygaCpu?: number;
}

async function processTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** Busy jiffies of all CPUs: everything but idle and iowait. */
async function machineTicks(): Promise<number> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values;
  return user + nice + system + irq + softirq + steal;
}

async function taygaPid(lab: Lab): Promise<number | undefined> {
  const pids = execFileSync("ip", ["netns", "pids", lab.ns.relay]).toString().split("\n");
  for (const pid of pids.filter(Boolean)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith("tayga\0")) return Number(pid);
  }
  return undefined;
}

async function iperf(lab: Lab, address: string, reverse: boolean, tayga?: number): Promise<Run> {
  const machineBefore = await machineTicks();
  const taygaBefore = tayga ? await processTicks(tayga) : 0;
  const started = Date.now();
  const { stdout } = await lab.exec(
    "client",
    "iperf3",
    ["-c", address, "-t", String(SECONDS), "-J", ...(reverse ? ["-R"] : [])],
    { timeoutMs: (SECONDS + 20) * 1000 },
  );
  const elapsed = (Date.now() - started) / 1000;
  const result = JSON.parse(stdout) as {
    end: {
      sum_received: { bits_per_second: number };
      cpu_utilization_percent?: { host_total?: number; remote_total?: number };
    };
  };
  const machineCpu = (100 * ((await machineTicks()) - machineBefore)) / TICKS_PER_SECOND / elapsed;
  const cpu = result.end.cpu_utilization_percent;
  const run = {
    gbps: result.end.sum_received.bits_per_second / 1e9,
    machineCpu,
    iperfCpu: (cpu?.host_total ?? 0) + (cpu?.remote_total ?? 0),
  };
  if (!tayga) return run;
  const used = (await processTicks(tayga)) - taygaBefore;
  return { ...run, taygaCpu: (100 * used) / TICKS_PER_SECOND / elapsed };
}

async function switchFastPath(
  lab: Lab,
  config: string,
  agent: RunningAgent,
  mode: "auto" | "off",
): Promise<void> {
  const settings = JSON.parse(await readFile(config, "utf8")) as Record<string, unknown>;
  if (settings.fastPath === mode) return;
  await writeFile(config, `${JSON.stringify({ ...settings, fastPath: mode }, null, 2)}\n`);
  agent.child.kill("SIGHUP");
  await waitFor(
    `fastPath: ${mode}`,
    async () => ((await probeFastPath(lab)).program !== undefined) === (mode === "auto"),
    20_000,
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const fmt = (value: number, digits = 2) => value.toFixed(digits);

async function main(): Promise<number> {
  const reason = labUnavailableReason();
  if (reason) {
    console.error(`bench:nat64 needs the e2e lab: ${reason}`);
    return 1;
  }
  const lab = await Lab.create();
  try {
    await startNsd(lab);
    const files = await writeAgentConfig(lab, "relay.yaml", { fastPath: "auto" });
    const agent = await startAgent(lab, files);
    // The DNS answer puts the target into the guard's allow set.
    const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    const translated = stdout.trim();
    if (!translated) throw new Error(`no AAAA for my-vps.${SPLIT}: is the agent answering?`);
    // Plain IPv4 through the same relay namespace, masqueraded like the pool (the target has
    // no route back to the client's address).
    await lab.exec("client", "ip", ["addr", "add", `${CLIENT4}/24`, "dev", "tailscale0"]);
    await lab.exec("relay", "ip", ["addr", "add", `${RELAY4}/24`, "dev", "tailscale0"]);
    await lab.exec("client", "ip", ["route", "add", `${ADDR.target}/32`, "via", RELAY4]);
    await lab.exec("relay", "nft", ["-f", "-"], {
      input: `table ip bench_masquerade {\n  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n    ip saddr ${CLIENT4} oifname "eth0" masquerade\n  }\n}\n`,
    });
    lab.spawn("target", "iperf3", ["-s", "-B", "0.0.0.0"]);
    await waitFor("iperf3 server", async () => {
      await lab.exec("target", "sh", ["-c", "ss -ltn | grep -q ':5201 '"]);
      return true;
    });
    // A new client goes through tayga until tayga writes its assignment (≤ 45 s in 0.9.2).
    await lab.exec("client", "ping", ["-6", "-c", "1", "-W", "2", translated]);
    await waitFor(
      "the fast path to learn the client from tayga",
      async () => /fast path: 1 client mapped/.test(agent.log()),
      120_000,
      1000,
    );
    const results = new Map<string, Run[]>();
    const paths: [PathName, string][] = [
      ["fast path", translated],
      ["tayga only", translated],
      ["kernel", ADDR.target],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [path, address] of paths) {
        if (path !== "kernel")
          await switchFastPath(lab, files.config, agent, path === "fast path" ? "auto" : "off");
        const tayga = path === "kernel" ? undefined : await taygaPid(lab);
        for (const direction of ["client→target", "target→client"] as Direction[]) {
          const key = `${path}|${direction}`;
          const run = await iperf(lab, address, direction === "target→client", tayga);
          results.set(key, [...(results.get(key) ?? []), run]);
        }
      }
    }
    const probe = await probeFastPath(lab);
    console.log(
      `nat64 bench: iperf3 TCP, 1 stream, ${SECONDS} s per run, ${ROUNDS} rounds, paths interleaved within each round`,
    );
    console.log(
      `translated: [${translated}]:5201 (MSS clamped to 1220); kernel: ${ADDR.target}:5201 via IPv4 forwarding + masquerade`,
    );
    console.log(
      `cpus: ${(await readFile("/proc/cpuinfo", "utf8")).match(/^processor/gm)?.length ?? "?"}; machine CPU = all CPUs busy (% of one core, anything else running counts too); path CPU = iperf3 sender + receiver (their own report) + tayga, % of one core`,
    );
    console.log("");
    console.log(
      "path        direction       Gbit/s min / median / max   vs kernel   machine CPU %   path CPU %   path CPU %/Gbit/s   tayga CPU %",
    );
    for (const [path] of paths) {
      for (const direction of ["client→target", "target→client"] as Direction[]) {
        const runs = results.get(`${path}|${direction}`) ?? [];
        const gbps = runs.map((run) => run.gbps);
        const kernel = median((results.get(`kernel|${direction}`) ?? []).map((run) => run.gbps));
        const cpu = median(runs.map((run) => run.machineCpu));
        const pathCpu = (run: Run) => run.iperfCpu + (run.taygaCpu ?? 0);
        const pathCpuMedian = median(runs.map(pathCpu));
        const perGbit = median(runs.map((run) => pathCpu(run) / run.gbps));
        const tayga =
          runs[0]?.taygaCpu === undefined
            ? "-"
            : fmt(median(runs.map((run) => run.taygaCpu ?? 0)), 0);
        console.log(
          `${path.padEnd(11)} ${direction.padEnd(15)} ${fmt(Math.min(...gbps)).padStart(6)} / ${fmt(median(gbps)).padStart(6)} / ${fmt(Math.max(...gbps)).padStart(6)}     ${fmt(median(gbps) / kernel, 3).padStart(6)}    ${fmt(cpu, 0).padStart(9)}       ${fmt(pathCpuMedian, 0).padStart(6)}       ${fmt(perGbit, 1).padStart(9)}         ${tayga.padStart(5)}`,
        );
      }
    }
    const split = probe.counters;
    if (split) {
      console.log("");
      console.log(
        `fast path counters: ${split.FAST_V6_TO_V4_PACKETS + split.FAST_V4_TO_V6_PACKETS} packets (super-packets before GSO) translated, ${split.TAYGA_LEASE_REFRESH} lease-refresh packets and ${split.TAYGA_V6_NOT_TCP_UDP + split.TAYGA_V4_NOT_TCP_UDP} ICMP left to tayga`,
      );
    }
    const feed = await lab.exec(
      "relay",
      process.execPath,
      [fileURLToPath(new URL("guard-feed.ts", import.meta.url)), "5000", "50"],
      { timeoutMs: 120_000 },
    );
    console.log(feed.stdout.trim());
    return 0;
  } finally {
    await lab.destroy();
  }
}

process.exitCode = await main();
