// Reproduces the measurements behind two decisions in docs/decisions.md: the hand-written DNS
// codec (vs dns-packet) and the own Prometheus exposition (vs prom-client). Prints figures;
// asserts nothing. Each timed loop is bounded in count and in time.
//
//   npm run bench:decisions            (env: BENCH_MS=1000)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import dnsPacket from "dns-packet";
import { parseCidr } from "../../src/core/index.ts";
import { embeddingTemplate } from "../../src/relay-agent/dns/synthesis.ts";
import { encodeAnswer, newParsedQuery, parseQuery } from "../../src/relay-agent/dns/wire.ts";
import { SplitZones } from "../../src/relay-agent/dns/zone.ts";

const BENCH_MS = Number(process.env.BENCH_MS ?? 1000);
const MAX_ROUNDS = 20_000_000;

/** Runs `round` until BENCH_MS passed (or MAX_ROUNDS); rounds per second and bytes per round. */
function measure(round: () => unknown): { perSecond: number; bytesPerRound: number } {
  for (let i = 0; i < 10_000; i++) round(); // warm up the JIT
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let allocated = 0;
  let rounds = 0;
  const started = performance.now();
  let last = heapBefore;
  while (rounds < MAX_ROUNDS && performance.now() - started < BENCH_MS) {
    for (let i = 0; i < 1000; i++) round();
    rounds += 1000;
    const now = process.memoryUsage().heapUsed;
    // A drop means a GC ran: count what was allocated up to it, start again from there.
    allocated += now >= last ? now - last : now;
    last = now;
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: rounds / seconds, bytesPerRound: allocated / rounds };
}

// One AAAA query for my-vps.r9929 with EDNS, as a resolver sends it.
const OPT = {
  type: "OPT",
  name: ".",
  udpPayloadSize: 1232,
  flags: 0,
  options: [],
} as unknown as dnsPacket.Answer;
const query = dnsPacket.encode({
  type: "query",
  id: 4242,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type: "AAAA", name: "My-Vps.r9929" }],
  additionals: [OPT],
});
const prefix = parseCidr("fd4e:2a91:7c3d:6464::/96");
if (!prefix.ok) throw new Error(prefix.reason);
const template = embeddingTemplate(prefix.cidr);
const zones = new SplitZones([{ name: "r9929", realSuffix: "tail1234.ts.net" }]);
const soa = { serial: 1, refresh: 3600, retry: 600, expire: 86_400, minimum: 60 };
const parsed = newParsedQuery();
const ipv4 = (198 << 24) | (18 << 16) | (1 << 8) | 2;

const ours = measure(() => {
  parseQuery(query, parsed);
  const match = zones.match(parsed.key, parsed.labelStarts, parsed.labelCount);
  return encodeAnswer(
    query,
    parsed,
    match?.apexOffset ?? 0,
    soa,
    { rcode: 0, aaaa: { template, ipv4s: [ipv4 >>> 0] }, answerTtl: 60 },
    1232,
  );
});
const library = measure(() => {
  const decoded = dnsPacket.decode(query);
  const question = decoded.questions?.[0];
  return dnsPacket.encode({
    type: "response",
    id: decoded.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
    questions: decoded.questions ?? [],
    answers: [
      { type: "AAAA", name: question?.name ?? "", ttl: 60, data: "fd4e:2a91:7c3d:6464::c612:102" },
    ],
    additionals: [OPT],
  });
});

/** RSS of a fresh node after loading `module` (none: bare node). */
function rssAfterLoading(module?: string): number {
  const code = module
    ? `await import(${JSON.stringify(module)}); globalThis.gc?.(); console.log(process.memoryUsage().rss)`
    : "globalThis.gc?.(); console.log(process.memoryUsage().rss)";
  const result = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return Number(result.stdout.trim());
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rss = (module?: string) => median([1, 2, 3].map(() => rssAfterLoading(module)));
const MB = 1024 * 1024;
const ownMetrics = fileURLToPath(new URL("../../src/relay-agent/dns/metrics.ts", import.meta.url));
// Loading any .ts file brings in Node's type stripper: a tiny .ts module is the baseline for ours.
const tinyTs = fileURLToPath(new URL("../../src/relay-agent/dns/heap.ts", import.meta.url));
const bare = rss();
const withTinyTs = rss(tinyTs);
const withOwn = rss(ownMetrics);
const withPromClient = rss("prom-client");

const rate = (value: number) => `${(value / 1e6).toFixed(2)} M/s`;
console.log("DNS: parse one AAAA query + encode its synthesized answer (one core):");
console.log(
  `  hand-written codec (src/relay-agent/dns/wire.ts): ${rate(ours.perSecond)}, ~${ours.bytesPerRound.toFixed(0)} B of heap per answer`,
);
console.log(
  `  dns-packet decode + encode:                        ${rate(library.perSecond)}, ~${library.bytesPerRound.toFixed(0)} B of heap per answer`,
);
console.log(`  ratio: ${(ours.perSecond / library.perSecond).toFixed(1)}× the answers per second`);
console.log("Metrics: RSS of a fresh node process after loading the module (median of 3):");
console.log(`  bare node:                     ${(bare / MB).toFixed(1)} MB`);
console.log(`  + a tiny .ts module (type stripping): +${((withTinyTs - bare) / MB).toFixed(1)} MB`);
console.log(
  `  + src/relay-agent/dns/metrics.ts: +${((withOwn - withTinyTs) / MB).toFixed(1)} MB over that`,
);
console.log(`  + prom-client:                 +${((withPromClient - bare) / MB).toFixed(1)} MB`);
