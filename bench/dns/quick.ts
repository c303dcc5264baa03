// Quick iteration helper: nsd upstream + our agent, then a short dnsperf run of the hot name
// and of N distinct names. Prints raw dnsperf summaries. Not part of `bench:dns`.
//
//   node bench/dns/quick.ts [hot|miss|both]   (env: QUICK_SECONDS=5, QUICK_WORKERS=1, QUICK_PROF=1)
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startNsd, stopChild } from "../../test/integration/dns/nsd-upstream.ts";
import { waitForAnswer } from "./ready.ts";

const mode = process.argv[2] ?? "both";
const SECONDS = process.env.QUICK_SECONDS ?? "5";
const WORKERS = Number(process.env.QUICK_WORKERS ?? 1);
const BIN = fileURLToPath(new URL("../../bin/nat64-relay.js", import.meta.url));
const dir = await mkdtemp(join(tmpdir(), "nat64-relay-quick-"));
const nsd = await startNsd("127.0.54.1", [
  {
    name: "tail1234.ts.net",
    records: [
      "@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 120",
      "@ IN NS ns1",
      "ns1 IN A 127.0.54.1",
      "hot 300 IN A 100.101.1.1",
      "*.w 300 IN A 100.101.200.1",
    ].join("\n"),
  },
]);
const port = await freePort("127.0.0.1");
await writeFile(
  join(dir, "relay.yaml"),
  [
    "engine: none",
    `listen: ["127.0.0.1:${port}"]`,
    `upstreams: ["${nsd.address}"]`,
    'prefix: "fd4e:2a91:7c3d:6464::/96"',
    "splitDomains:",
    "  - { name: r9929, realSuffix: tail1234.ts.net }",
  ].join("\n"),
);
const prof = process.env.QUICK_PROF ? ["--cpu-prof", `--cpu-prof-dir=${dir}/prof`] : [];
const ours = spawn(
  process.execPath,
  [
    ...prof,
    BIN,
    "agent",
    "run",
    "--config",
    join(dir, "relay.yaml"),
    "--state-dir",
    join(dir, "s"),
    ...(WORKERS > 1 ? ["--workers", String(WORKERS)] : []),
  ],
  {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      NAT64_RELAY_LOG_LEVEL: "warn",
      ...(prof.length ? { NAT64_RELAY_HEAP_FLAGS: "off" } : {}),
    },
  },
);
await waitForAnswer("127.0.0.1", port, "hot.r9929");
/** CPU seconds (user + system) of the agent and its worker processes. */
const cpu = (): number => {
  let pids = [ours.pid!];
  try {
    pids = [
      ours.pid!,
      ...readFileSync(`/proc/${ours.pid}/task/${ours.pid}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    ];
  } catch {}
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
};
const perf = (file: string, args: string[]) => {
  const before = cpu();
  const out = spawnSync(
    "dnsperf",
    ["-s", "127.0.0.1", "-p", String(port), "-d", file, "-c", "8", "-q", "400", ...args],
    { encoding: "utf8", timeout: 60_000 },
  );
  const keep = out.stdout
    .split("\n")
    .filter((l) =>
      /Queries (sent|completed|lost|per second)|Average Latency|Latency StdDev/.test(l),
    );
  const completed = Number(/Queries completed:\s+(\d+)/.exec(out.stdout)?.[1] ?? 0);
  keep.push(
    `  agent CPU per answer: ${(((cpu() - before) * 1e6) / Math.max(completed, 1)).toFixed(1)} us`,
  );
  console.log(keep.join("\n"));
};
await writeFile(join(dir, "hot.txt"), "hot.r9929 AAAA\n");
if (process.env.QUICK_HOOK_EARLY) {
  spawn("sh", ["-c", process.env.QUICK_HOOK_EARLY], {
    stdio: "inherit",
    env: { ...process.env, AGENT: String(ours.pid) },
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
for (let i = 0; i < Number(process.env.QUICK_WARM ?? 1); i++)
  perf(join(dir, "hot.txt"), [
    "-l",
    process.env.QUICK_WARM_L ?? "1",
    ...(process.env.QUICK_WARM_ARGS ?? "").split(" ").filter(Boolean),
  ]);
if (mode !== "miss") {
  console.log("-- hot");
  // QUICK_HOOK: a shell command run during the hot phase with $AGENT set (e.g. perf, strace).
  const hook = process.env.QUICK_HOOK
    ? spawn("sh", ["-c", `sleep 1; ${process.env.QUICK_HOOK}`], {
        stdio: "inherit",
        env: { ...process.env, AGENT: String(ours.pid) },
      })
    : undefined;
  perf(join(dir, "hot.txt"), [
    "-l",
    SECONDS,
    ...(process.env.QUICK_RATE ? ["-Q", process.env.QUICK_RATE] : []),
  ]);
  if (hook) await new Promise((resolve) => hook.on("exit", resolve));
}
if (mode !== "hot") {
  const nonce = Date.now().toString(36);
  await writeFile(
    join(dir, "miss.txt"),
    Array.from(
      { length: Number(process.env.QUICK_MISS ?? 10000) },
      (_, i) => `m${nonce}-${i}.w.r9929 AAAA`,
    ).join("\n"),
  );
  console.log("-- miss");
  perf(join(dir, "miss.txt"), ["-n", "1", "-t", "5"]);
}
const rss = [ours.pid!].map((pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0),
);
console.log(`agent RSS at the end: ${(rss[0]! / 1024).toFixed(1)} MB`);
await stopChild(ours);
await nsd.stop();
if (prof.length) console.log(`profiles in ${dir}/prof`);
