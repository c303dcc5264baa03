// The DNS and NAT64 counters a status report carries: totals since the agent started (DNS, from
// the server's metrics) and since the nft table was made (NAT64, our named nft counters).
import type { MetricsSnapshot } from "../dns/metrics.ts";
import type { NftCounter } from "../host/nftables.ts";

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

export function dnsCounters(snapshot: MetricsSnapshot): Record<string, number> {
  const [hits = 0, misses = 0, stale = 0] = snapshot.cache;
  return {
    dns_queries: sum(snapshot.queries),
    dns_refused: sum(snapshot.refused),
    dns_dropped: sum(snapshot.dropped),
    dns_cache_hits: hits,
    dns_cache_misses: misses,
    dns_cache_stale: stale,
  };
}

/** `nat64_<counter>_packets` for each named counter of our table. */
export function nat64Counters(counters: Record<string, NftCounter>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counters).map(([name, counter]) => [`nat64_${name}_packets`, counter.packets]),
  );
}
