// DNS benchmark: dnsperf against our split-DNS synthesis server and against Debian's unbound
// with its dns64 module, both in front of the same nsd upstream, in the same run. Prints
// figures and our/peer ratios; asserts nothing. Every phase is bounded in time.
//
//   npm run bench:dns            (env: BENCH_SECONDS=10, BENCH_PEER_THREADS=1, BENCH_WORKERS=1)
import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { SilentUpstream } from "../../test/fakes/silent-upstream.ts";
import { freePort, startNsd, stopChild } from "../../test/integration/dns/nsd-upstream.ts";
import { waitForAnswer } from "./ready.ts";
import { startTcpAttack } from "./tcp-attack.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PEER_THREADS = Number(process.env.BENCH_PEER_THREADS ?? 1);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const OUTSTANDING = Number(process.env.BENCH_OUTSTANDING ?? 400);
const DISTINCT = 10_000;
const CACHED_FOR_RSS = 100_000;
const TRICKLERS = Number(process.env.BENCH_TRICKLERS ?? 500);
const HOST = "127.0.0.1";
const UPSTREAM_HOST = "127.0.54.1";
const DEAD_HOST = "127.0.54.2";
const SPLIT = "r9929";
const DEAD_SPLIT = "d9929";
const REAL = "tail1234.ts.net";
const DEAD_REAL = "dead.example";
const PREFIX = "fd4e:2a91:7c3d:6464::/96";
const BIN = fileURLToPath(new URL("../../bin/nat64-relay.js", import.meta.url));

interface Run {
  readonly qps: number;
  readonly p99ms: number;
  readonly completed: number;
  readonly lost: number;
}

/**
 * Runs dnsperf with -v into a file (parsing while it runs would steal CPU from the servers),
 * then takes q/s from its own summary and the p99 over every query it sent.
 */
async function dnsperf(
  port: number,
  file: string,
  args: string[],
  timeoutSeconds = 2,
): Promise<Run> {
  // Unique per run: two dnsperf runs may start in the same millisecond (phase 4).
  const output = `${file}.${port}.${process.hrtime.bigint()}.out`;
  const handle = await open(output, "w");
  const child = spawn(
    "dnsperf",
    ["-s", HOST, "-p", String(port), "-d", file, "-t", String(timeoutSeconds), "-v", ...args],
    { stdio: ["ignore", handle.fd, "ignore"] },
  );
  const killer = setTimeout(() => child.kill("SIGKILL"), (SECONDS + timeoutSeconds + 60) * 1000);
  await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(killer);
  await handle.close();
  const latencies: number[] = [];
  let lost = 0;
  let qps = 0;
  let completed = 0;
  const lines = createInterface({ input: createReadStream(output, "latin1"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.startsWith("> ")) {
      const latency = Number(line.slice(line.lastIndexOf(" ") + 1));
      if (line.startsWith("> T ") || Number.isNaN(latency)) lost++;
      else latencies.push(latency * 1000);
    } else if (line.includes("Queries per second:")) qps = Number(line.split(":")[1]);
    else if (line.includes("Queries completed:")) {
      completed = Number(line.split(":")[1]!.trim().split(" ")[0]);
    } else if (line.includes("Queries lost:")) {
      lost = Math.max(lost, Number(line.split(":")[1]!.trim().split(" ")[0]));
    }
  }
  await rm(output, { force: true });
  latencies.sort((a, b) => a - b);
  // Lost queries count as slower than anything answered.
  const total = latencies.length + lost;
  const rank = Math.ceil(total * 0.99) - 1;
  const p99ms = rank < latencies.length ? latencies[rank]! : Number.POSITIVE_INFINITY;
  return { qps, p99ms, completed, lost };
}

function rssMb(pids: number[]): Promise<number> {
  return Promise.all(
    pids.map(async (pid) => {
      const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    }),
  ).then((values) => values.reduce((sum, value) => sum + value, 0));
}

async function childPids(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return [pid, ...children.trim().split(/\s+/).filter(Boolean).map(Number)];
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      })
    : "lost>1%";

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const dir = await mkdtemp(join(tmpdir(), "nat64-relay-bench-"));
  const children: ChildProcess[] = [];
  const silent = await SilentUpstream.start(DEAD_HOST);
  const nsd = await startNsd(UPSTREAM_HOST, [
    {
      name: REAL,
      records: [
        `@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 120`,
        "@ IN NS ns1",
        `ns1 IN A ${UPSTREAM_HOST}`,
        "hot 300 IN A 100.101.1.1",
        "*.w 300 IN A 100.101.200.1",
      ].join("\n"),
    },
  ]);
  try {
    const ourPort = await freePort(HOST);
    const peerPort = await freePort(HOST);
    const metricsPort = await freePort(HOST);
    const config = join(dir, "relay.yaml");
    await writeFile(
      config,
      [
        "engine: none",
        `listen: ["${HOST}:${ourPort}"]`,
        `upstreams: ["${nsd.address}", "${silent.address}"]`,
        `prefix: "${PREFIX}"`,
        "maxTtl: 300",
        "cacheSize: 200000",
        "upstreamTimeoutMs: 1500",
        `metricsListen: "${HOST}:${metricsPort}"`,
        "splitDomains:",
        `  - { name: ${SPLIT}, realSuffix: ${REAL} }`,
        `  - { name: ${DEAD_SPLIT}, realSuffix: ${DEAD_REAL} }`,
      ].join("\n"),
    );
    const ours = spawn(
      process.execPath,
      [
        BIN,
        "agent",
        "run",
        "--config",
        config,
        "--state-dir",
        join(dir, "state"),
        ...(WORKERS > 1 ? ["--workers", String(WORKERS)] : []),
      ],
      {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, NAT64_RELAY_LOG_LEVEL: "warn" },
      },
    );
    children.push(ours);
    await writeFile(
      join(dir, "unbound.conf"),
      [
        "server:",
        `  interface: ${HOST}@${peerPort}`,
        `  port: ${peerPort}`,
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        `  directory: "${dir}"`,
        `  pidfile: "${join(dir, "unbound.pid")}"`,
        "  use-syslog: no",
        '  logfile: ""',
        "  verbosity: 0",
        `  num-threads: ${PEER_THREADS}`,
        '  module-config: "dns64 iterator"',
        `  dns64-prefix: ${PREFIX}`,
        "  dns64-synthall: yes",
        "  do-not-query-localhost: no",
        "  access-control: 127.0.0.0/8 allow",
        "  qname-minimisation: no",
        "  msg-cache-size: 64m",
        "  rrset-cache-size: 128m",
        "  ratelimit: 0",
        `  domain-insecure: "${REAL}"`,
        `  domain-insecure: "${DEAD_REAL}"`,
        "forward-zone:",
        `  name: "${REAL}"`,
        `  forward-addr: ${nsd.host}@${nsd.port}`,
        "forward-zone:",
        `  name: "${DEAD_REAL}"`,
        `  forward-addr: ${silent.host}@${silent.port}`,
        "remote-control:",
        "  control-enable: no",
      ].join("\n"),
    );
    const peer = spawn("unbound", ["-d", "-c", join(dir, "unbound.conf")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(peer);
    await waitForAnswer(HOST, ourPort, `hot.${SPLIT}`);
    await waitForAnswer(HOST, peerPort, `hot.${REAL}`);

    const servers = [
      { label: "ours", port: ourPort, split: SPLIT, dead: DEAD_SPLIT },
      { label: "peer", port: peerPort, split: REAL, dead: DEAD_REAL },
    ] as const;
    const results: Record<string, Record<string, Run>> = { ours: {}, peer: {} };
    const nonce = Date.now().toString(36);
    const load = ["-c", String(CLIENTS), "-q", String(OUTSTANDING)];

    for (const server of servers) {
      const hot = join(dir, `${server.label}-hot.txt`);
      await writeFile(hot, `hot.${server.split} AAAA\n`);
      results[server.label]!.hot = await dnsperf(server.port, hot, [
        "-l",
        String(SECONDS),
        ...load,
      ]);

      const distinct = join(dir, `${server.label}-distinct.txt`);
      await writeFile(
        distinct,
        Array.from({ length: DISTINCT }, (_, i) => `m${nonce}-${i}.w.${server.split} AAAA`).join(
          "\n",
        ),
      );
      results[server.label]!.miss = await dnsperf(server.port, distinct, ["-n", "1", ...load], 5);

      const dead = join(dir, `${server.label}-dead.txt`);
      await writeFile(
        dead,
        Array.from(
          { length: SECONDS * 5 + 10 },
          (_, i) => `x${nonce}-${i}.${server.dead} AAAA`,
        ).join("\n"),
      );
      const [hotUnderFailure] = await Promise.all([
        dnsperf(server.port, hot, ["-l", String(SECONDS), "-Q", "2000", "-c", "4", "-q", "100"]),
        dnsperf(server.port, dead, ["-l", String(SECONDS), "-Q", "5", "-c", "1", "-q", "50"], 5),
      ]);
      results[server.label]!.failure = hotUnderFailure;
    }

    const fill = join(dir, "fill.txt");
    await writeFile(
      fill,
      Array.from({ length: CACHED_FOR_RSS }, (_, i) => `r${nonce}-${i}.w.${SPLIT} AAAA`).join("\n"),
    );
    const filled = await dnsperf(ourPort, fill, ["-n", "1", ...load], 5);
    const metrics = await (await fetch(`http://${HOST}:${metricsPort}/metrics`)).text();
    const cached = Number(/nat64_relay_dns_cache_entries (\d+)/.exec(metrics)?.[1] ?? 0);
    const rss = await rssMb(await childPids(ours.pid!));

    // (4) After the fill, so the fill's RSS stays comparable with earlier runs: normal clients
    // while one TCP client pipelines and never reads and 500 connections trickle a byte a
    // second (50 sources × 10, under the per-source cap).
    const ourPids = await childPids(ours.pid!);
    const rssBeforeAttack = await rssMb(ourPids);
    const attack = startTcpAttack({
      host: HOST,
      port: ourPort,
      zone: SPLIT,
      tricklers: TRICKLERS,
      sources: 50,
      maxMs: (SECONDS + 30) * 1000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    let rssPeak = await rssMb(ourPids);
    const sampler = setInterval(() => {
      rssMb(ourPids).then((value) => {
        rssPeak = Math.max(rssPeak, value);
      });
    }, 250);
    const tcpDuringAttack = Number(
      /nat64_relay_dns_tcp_connections (\d+)/.exec(
        await (await fetch(`http://${HOST}:${metricsPort}/metrics`)).text(),
      )?.[1] ?? 0,
    );
    const hotFile = join(dir, "ours-hot.txt");
    const [udpUnderAttack, tcpUnderAttack] = await Promise.all([
      dnsperf(ourPort, hotFile, ["-l", String(SECONDS), "-Q", "2000", "-c", "4", "-q", "100"]),
      dnsperf(ourPort, hotFile, [
        "-l",
        String(SECONDS),
        "-Q",
        "200",
        "-c",
        "2",
        "-q",
        "10",
        "-m",
        "tcp",
      ]),
    ]);
    clearInterval(sampler);
    const attacked = await attack.stop();
    const afterAttack = await (await fetch(`http://${HOST}:${metricsPort}/metrics`)).text();
    const closedBy = [
      ...afterAttack.matchAll(/nat64_relay_dns_tcp_closed_total\{reason="(\w+)"\} (\d+)/g),
    ]
      .filter((match) => match[2] !== "0")
      .map((match) => `${match[1]} ${match[2]}`)
      .join(", ");

    const ours_ = results.ours!;
    const peer_ = results.peer!;
    const lines = [
      `nat64-relay DNS benchmark (dnsperf ${CLIENTS} clients, ${OUTSTANDING} outstanding, ${SECONDS} s phases)`,
      `ours: nat64-relay agent run, ${WORKERS} process(es); peer: unbound dns64 iterator, num-threads ${PEER_THREADS}`,
      `machine: ${cpus().length} CPUs, load average before the run ${loadBefore.map((value) => value.toFixed(2)).join(" ")} (other processes share these CPUs)`,
      "",
      "scenario                                   ours            peer            ours/peer",
      `(1) hot name, q/s                          ${fmt(ours_.hot!.qps).padEnd(16)}${fmt(peer_.hot!.qps).padEnd(16)}${fmt(ours_.hot!.qps / peer_.hot!.qps, 2)}`,
      `(1) hot name, p99 ms                       ${fmt(ours_.hot!.p99ms, 2).padEnd(16)}${fmt(peer_.hot!.p99ms, 2).padEnd(16)}${fmt(ours_.hot!.p99ms / peer_.hot!.p99ms, 2)}`,
      `(2) ${DISTINCT} distinct names, q/s           ${fmt(ours_.miss!.qps).padEnd(16)}${fmt(peer_.miss!.qps).padEnd(16)}${fmt(ours_.miss!.qps / peer_.miss!.qps, 2)}`,
      `(2) ${DISTINCT} distinct names, p99 ms        ${fmt(ours_.miss!.p99ms, 2).padEnd(16)}${fmt(peer_.miss!.p99ms, 2).padEnd(16)}${fmt(ours_.miss!.p99ms / peer_.miss!.p99ms, 2)}`,
      `(3) hot @2000 q/s + 5/s dead, p99 ms       ${fmt(ours_.failure!.p99ms, 2).padEnd(16)}${fmt(peer_.failure!.p99ms, 2).padEnd(16)}${fmt(ours_.failure!.p99ms / peer_.failure!.p99ms, 2)}`,
      `(3) hot @2000 q/s, answered / lost         ${`${ours_.failure!.completed}/${ours_.failure!.lost}`.padEnd(16)}${`${peer_.failure!.completed}/${peer_.failure!.lost}`.padEnd(16)}`,
      `(1) lost                                   ${String(ours_.hot!.lost).padEnd(16)}${String(peer_.hot!.lost).padEnd(16)}`,
      `(2) lost                                   ${String(ours_.miss!.lost).padEnd(16)}${String(peer_.miss!.lost).padEnd(16)}`,
      "",
      `(4) under TCP attack: 1 non-reading client + ${TRICKLERS} trickling connections (${tcpDuringAttack} open at the start)`,
      `(4) hot UDP @2000 q/s, p99 ms              ${fmt(udpUnderAttack.p99ms, 2)} (answered/lost ${udpUnderAttack.completed}/${udpUnderAttack.lost})`,
      `(4) hot TCP @200 q/s, p99 ms               ${fmt(tcpUnderAttack.p99ms, 2)} (answered/lost ${tcpUnderAttack.completed}/${tcpUnderAttack.lost})`,
      `(4) ours RSS before / peak during          ${fmt(rssBeforeAttack, 1)} / ${fmt(rssPeak, 1)} MB`,
      `(4) attack: ${fmt(attacked.pipelined)} queries pipelined unread, ${fmt(attacked.reopened)} reconnects; server closed: ${closedBy || "none"}`,
      "",
      `ours RSS with ${fmt(cached)} cached names: ${fmt(rss, 1)} MB (fill: ${fmt(filled.completed)} answered at ${fmt(filled.qps)} q/s)`,
      "targets: (1) ours/peer >= 0.80, (2) >= 8,000 q/s, (3) p99 <= 5 ms, RSS <= 150 MB",
    ];
    console.log(lines.join("\n"));
  } finally {
    for (const child of children) await stopChild(child);
    await nsd.stop();
    await silent.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
