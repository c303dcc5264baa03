// The program's per-CPU counters, summed, by name; and the split doctor and metrics show:
// packets the fast path translated vs packets it left to tayga, and why.
import type { BpfTools } from "./bpf-tools.ts";
import { readIndexKey, sumCounter } from "./map-codec.ts";
import { COUNTER_NAMES, type CounterName } from "./program.ts";

export type FastPathCounters = Readonly<Record<CounterName, bigint>>;

export async function readCounters(
  tools: BpfTools,
  countersMapId: number,
): Promise<FastPathCounters> {
  const entries = await tools.dump(countersMapId);
  const counters = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0n])) as Record<
    CounterName,
    bigint
  >;
  for (const entry of entries) {
    const name = COUNTER_NAMES[readIndexKey(entry.key)];
    if (name) counters[name] = sumCounter(entry.values);
  }
  return counters;
}

export interface PathSplit {
  readonly fastPackets: bigint;
  readonly fastBytes: bigint;
  /** Packets the program handed on to tayga (each fall-through reason counted once). */
  readonly taygaPackets: bigint;
  readonly dropped: bigint;
  /** Fall-through reasons with a non-zero count, largest first. */
  readonly taygaReasons: readonly { readonly reason: string; readonly packets: bigint }[];
}

export function pathSplit(counters: FastPathCounters): PathSplit {
  const reasons = COUNTER_NAMES.filter((name) => name.startsWith("TAYGA_"))
    .map((name) => ({ reason: name.slice("TAYGA_".length).toLowerCase(), packets: counters[name] }))
    .filter((entry) => entry.packets > 0n)
    .sort((a, b) => (a.packets === b.packets ? 0 : a.packets > b.packets ? -1 : 1));
  return {
    fastPackets: counters.FAST_V6_TO_V4_PACKETS + counters.FAST_V4_TO_V6_PACKETS,
    fastBytes: counters.FAST_V6_TO_V4_BYTES + counters.FAST_V4_TO_V6_BYTES,
    taygaPackets: reasons.reduce((sum, entry) => sum + entry.packets, 0n),
    dropped: counters.DROPPED_AFTER_REWRITE,
    taygaReasons: reasons,
  };
}
