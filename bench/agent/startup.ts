// Start-up time: from spawning `nat64-relay agent run` (engine none, an nsd upstream on
// loopback) to its first correct AAAA answer, several launches, plus bare `node` for scale.
// Also when the agent's own log says the data plane was applied and the DNS worker listens, so
// the time splits into module loading + config, the data plane, and the DNS worker's start.
// Prints figures; asserts nothing (target: the first correct answer within 0.5 s).
//
//   npm run bench:startup            (env: BENCH_LAUNCHES=7)
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { embed, parseCidr } from "../../src/core/index.ts";
import { rrs, udpQuery } from "../../test/integration/dns/dns-client.ts";
import { freePort, startNsd, stopChild } from "../../test/integration/dns/nsd-upstream.ts";

const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 7);
const DEADLINE_MS = 20_000;
const BIN = fileURLToPath(new URL("../../bin/nat64-relay.js", import.meta.url));
const PREFIX = "fd4e:2a91:7c3d:6464::/96";
const TARGET = "100.101.1.1";

const prefix = parseCidr(PREFIX);
if (!prefix.ok) throw new Error(prefix.reason);
const expected = embed(prefix.cidr, TARGET);

const dir = await mkdtemp(join(tmpdir(), "nat64-relay-startup-"));
const nsd = await startNsd("127.0.54.3", [
  {
    name: "tail1234.ts.net",
    records: [
      "@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 120",
      "@ IN NS ns1",
      "ns1 IN A 127.0.54.3",
      `hot 300 IN A ${TARGET}`,
    ].join("\n"),
  },
]);

interface Launch {
  readonly answer: number;
  /** Log lines' times after the spawn (ms): the data plane applied, the DNS worker listening. */
  readonly dataPlane: number;
  readonly listening: number;
}

async function launch(): Promise<Launch> {
  const port = await freePort("127.0.0.1");
  const config = join(dir, `relay-${port}.yaml`);
  await writeFile(
    config,
    [
      "engine: none",
      `listen: ["127.0.0.1:${port}"]`,
      `upstreams: ["${nsd.address}"]`,
      `prefix: "${PREFIX}"`,
      "splitDomains:",
      "  - { name: r9929, realSuffix: tail1234.ts.net }",
    ].join("\n"),
  );
  const startedAt = Date.now();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, "agent", "run", "--config", config, "--state-dir", join(dir, "state")],
    {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, NAT64_RELAY_LOG_LEVEL: "info" },
    },
  );
  const logged = new Map<string, number>();
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const entry = JSON.parse(line) as { time: number; msg: string };
      const key = entry.msg.startsWith("data plane") ? "dataPlane" : entry.msg;
      if (!logged.has(key)) logged.set(key, entry.time - startedAt);
    }
  });
  try {
    while (performance.now() - started < DEADLINE_MS) {
      const answer = await udpQuery(
        "127.0.0.1",
        port,
        { name: "hot.r9929", type: "AAAA" },
        50,
      ).catch(() => undefined);
      if (answer && rrs(answer.packet.answers).some((rr) => rr.data === expected)) {
        return {
          answer: performance.now() - started,
          dataPlane: logged.get("dataPlane") ?? Number.NaN,
          listening: logged.get("dns: listening on UDP and TCP") ?? Number.NaN,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no correct answer within ${DEADLINE_MS} ms`);
  } finally {
    await stopChild(child);
  }
}

function bareNode(): number {
  const started = performance.now();
  spawnSync(process.execPath, ["-e", ""]);
  return performance.now() - started;
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

try {
  const launches: Launch[] = [];
  for (let index = 0; index < LAUNCHES; index++) launches.push(await launch());
  const times = launches.map((launched) => launched.answer);
  const node = [bareNode(), bareNode(), bareNode()];
  console.log(`agent run (engine none) → first correct AAAA, ${LAUNCHES} launches:`);
  console.log(
    `  median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (target < 500 ms)`,
  );
  console.log(
    `  median log times after spawn: data plane applied ${median(launches.map((l) => l.dataPlane)).toFixed(0)} ms, DNS worker listening ${median(launches.map((l) => l.listening)).toFixed(0)} ms`,
  );
  console.log(`  bare \`node -e ''\` for scale: median ${median(node).toFixed(0)} ms`);
} finally {
  await nsd.stop();
  await rm(dir, { recursive: true, force: true });
}
