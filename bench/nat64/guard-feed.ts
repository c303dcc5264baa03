// Run inside the relay namespace by run.ts: how long a DNS answer waits for the open-proxy
// guard. Feeds N distinct IPv4s (set elements only, no traffic) through the real GuardFeeder
// and nft, C answers in flight at a time; prints p50/p99 wait and the nft transactions used.
import { realExec } from "../../src/relay-agent/host/exec.ts";
import { RealNftables } from "../../src/relay-agent/host/nftables.ts";
import { GuardFeeder } from "../../src/relay-agent/nat64/guard.ts";

const total = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 50);
const nft = new RealNftables(realExec);
let transactions = 0;
const guard = new GuardFeeder({
  side: "v4",
  runScript: async (script) => {
    transactions++;
    await nft.run(script);
  },
});

// 198.51.100.0/22-ish documentation space: these only ever become set elements.
const address = (index: number) => `198.51.${100 + Math.floor(index / 250)}.${(index % 250) + 1}`;
const waits: number[] = [];
let next = 0;
const started = performance.now();
async function worker(): Promise<void> {
  while (next < total) {
    const index = next++;
    const t0 = performance.now();
    await guard.allow([address(index)], 60);
    waits.push(performance.now() - t0);
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = (performance.now() - started) / 1000;
waits.sort((a, b) => a - b);
const at = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))] ?? 0;
const hot = performance.now();
for (let i = 0; i < 100_000; i++) guard.allow([address(i % total)], 60);
const hotNs = ((performance.now() - hot) * 1e6) / 100_000;
console.log(
  `guard feed: ${total} new IPv4s, ${concurrency} answers in flight: ${(total / elapsed).toFixed(0)} answers/s, wait p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, ${transactions} nft transactions; already-allowed address: ${hotNs.toFixed(0)} ns per answer, no nft`,
);
