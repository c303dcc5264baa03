// `npm run bench:nat64`: TCP throughput client → target through the relay, in network namespaces
// (root). (a) the agent's tayga path (IPv6 → NAT64 → IPv4, masquerade, guard), (b) plain kernel
// IPv4 forwarding through the same relay namespace (the ceiling). 3 iperf3 runs of 5 s in each
// direction; prints Mbit/s, our/ceiling ratio, tayga's CPU and the RTT translation adds.
// Figures are printed, never asserted.
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { labUnavailableReason } from "../../test/e2e/lab/require-lab.ts";
import { startAgent, startNsd, waitFor, writeAgentConfig } from "../../test/e2e/lab/services.ts";
import { ADDR, Lab, SPLIT } from "../../test/e2e/lab/topology.ts";

const RUNS = 3;
const SECONDS = 5;
const CLIENT4 = "198.18.3.2";
const RELAY4 = "198.18.3.1";

interface Run {
  readonly mbps: number;
  readonly taygaCpu?: number;
}

const TICKS_PER_SECOND = 100;

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function taygaPid(lab: Lab): Promise<number | undefined> {
  const pids = execFileSync("ip", ["netns", "pids", lab.ns.relay]).toString().split("\n");
  for (const pid of pids.filter(Boolean)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith("tayga\0")) return Number(pid);
  }
  return undefined;
}

async function iperf(lab: Lab, target: string, reverse: boolean, pid?: number): Promise<Run> {
  const before = pid ? await cpuTicks(pid) : 0;
  const started = Date.now();
  const { stdout } = await lab.exec(
    "client",
    "iperf3",
    ["-c", target, "-t", String(SECONDS), "-J", ...(reverse ? ["-R"] : [])],
    { timeoutMs: (SECONDS + 15) * 1000 },
  );
  const elapsed = (Date.now() - started) / 1000;
  const result = JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } };
  const mbps = result.end.sum_received.bits_per_second / 1e6;
  if (!pid) return { mbps };
  const used = (await cpuTicks(pid)) - before;
  return { mbps, taygaCpu: (100 * used) / TICKS_PER_SECOND / elapsed };
}

async function avgRtt(lab: Lab, address: string): Promise<number> {
  const family = address.includes(":") ? "-6" : "-4";
  const { stdout } = await lab.exec(
    "client",
    "ping",
    [family, "-c", "50", "-i", "0.02", "-q", address],
    {
      timeoutMs: 20_000,
    },
  );
  const match = /= [\d.]+\/([\d.]+)\//.exec(stdout);
  return Number(match?.[1]);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (value: number, digits = 0) => value.toFixed(digits);

async function main(): Promise<number> {
  const reason = labUnavailableReason();
  if (reason) {
    console.error(`bench:nat64 needs the e2e lab: ${reason}`);
    return 1;
  }
  const lab = await Lab.create();
  try {
    await startNsd(lab);
    const files = await writeAgentConfig(lab);
    await startAgent(lab, files);
    // The DNS answer puts the target into the guard's allow set.
    const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    const translated = stdout.trim();
    if (!translated) throw new Error(`no AAAA for my-vps.${SPLIT}: is the agent answering?`);
    // Plain IPv4 path through the same relay namespace, for the ceiling.
    await lab.exec("client", "ip", ["addr", "add", `${CLIENT4}/24`, "dev", "tailscale0"]);
    await lab.exec("relay", "ip", ["addr", "add", `${RELAY4}/24`, "dev", "tailscale0"]);
    await lab.exec("client", "ip", ["route", "add", `${ADDR.target}/32`, "via", RELAY4]);
    await lab.exec("target", "ip", ["route", "add", `${CLIENT4}/32`, "via", ADDR.relayEgress]);
    lab.spawn("target", "iperf3", ["-s", "-B", "0.0.0.0"]);
    await waitFor("iperf3 server", async () => {
      await lab.exec("target", "sh", ["-c", "ss -ltn | grep -q ':5201 '"]);
      return true;
    });
    const pid = await taygaPid(lab);
    const results: Record<string, Run[]> = {};
    for (const [label, target, reverse, watch] of [
      ["tayga client→target", translated, false, pid],
      ["tayga target→client", translated, true, pid],
      ["kernel client→target", ADDR.target, false, undefined],
      ["kernel target→client", ADDR.target, true, undefined],
    ] as const) {
      results[label] = [];
      for (let run = 0; run < RUNS; run++) {
        results[label].push(await iperf(lab, target, reverse, watch));
      }
    }
    const feed = await lab.exec(
      "relay",
      process.execPath,
      [fileURLToPath(new URL("guard-feed.ts", import.meta.url)), "5000", "50"],
      { timeoutMs: 120_000 },
    );
    const rttTranslated = await avgRtt(lab, translated);
    const rttPlain = await avgRtt(lab, ADDR.target);

    console.log(
      `nat64 bench: iperf3 TCP, ${RUNS} runs × ${SECONDS} s per direction, namespaces client → relay → target`,
    );
    console.log(
      `translated path: [${translated}]:5201 (tayga ${pid ?? "?"}, MSS clamped to 1220); ceiling: ${ADDR.target}:5201 via plain IPv4 forwarding`,
    );
    console.log("");
    console.log("path                   runs (Mbit/s)                 mean Mbit/s   tayga CPU");
    for (const [label, runs] of Object.entries(results)) {
      const cpu =
        runs[0]?.taygaCpu === undefined ? "-" : `${fmt(mean(runs.map((r) => r.taygaCpu ?? 0)))}%`;
      console.log(
        `${label.padEnd(22)} ${runs
          .map((r) => fmt(r.mbps).padStart(7))
          .join(" ")
          .padEnd(29)} ${fmt(mean(runs.map((r) => r.mbps))).padStart(11)}   ${cpu}`,
      );
    }
    const ratio = (ours: string, ceiling: string) =>
      mean((results[ours] ?? []).map((r) => r.mbps)) /
      mean((results[ceiling] ?? []).map((r) => r.mbps));
    console.log("");
    console.log(
      `our/ceiling client→target: ${fmt(ratio("tayga client→target", "kernel client→target"), 3)}`,
    );
    console.log(
      `our/ceiling target→client: ${fmt(ratio("tayga target→client", "kernel target→client"), 3)}`,
    );
    console.log(
      `RTT (ping, 50 × 20 ms apart): translated ${fmt(rttTranslated, 3)} ms, plain ${fmt(rttPlain, 3)} ms, translation adds ${fmt(rttTranslated - rttPlain, 3)} ms`,
    );
    console.log(feed.stdout.trim());
    return 0;
  } finally {
    await lab.destroy();
  }
}

process.exitCode = await main();
