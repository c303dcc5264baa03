// Prometheus metrics of the DNS server. The hot path bumps plain numbers in typed arrays;
// prom-client reads them only when scraped.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const QTYPE_LABELS: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  64: "SVCB",
  65: "HTTPS",
  255: "ANY",
};
const QTYPES = [...Object.keys(QTYPE_LABELS).map(Number), -1];
const QTYPE_INDEX = new Int16Array(65536).fill(QTYPES.length - 1);
QTYPES.forEach((qtype, index) => {
  if (qtype >= 0) QTYPE_INDEX[qtype] = index;
});
const qtypeLabel = (index: number) => QTYPE_LABELS[QTYPES[index]!] ?? "other";

const RCODE_LABELS = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
const RCODE_SLOTS = RCODE_LABELS.length + 1; // last slot: BADVERS and anything else
const rcodeLabel = (slot: number) => RCODE_LABELS[slot] ?? "BADVERS";

export const REFUSED_REASONS = ["source", "zone", "rate_limit", "class"] as const;
export type RefusedReason = (typeof REFUSED_REASONS)[number];
export const DROPPED_REASONS = ["rate_limit", "malformed"] as const;
export type DroppedReason = (typeof DROPPED_REASONS)[number];

export class DnsMetrics {
  readonly registry = new Registry();
  private readonly queries = new Float64Array(QTYPES.length * RCODE_SLOTS);
  private readonly refused = new Float64Array(REFUSED_REASONS.length);
  private readonly dropped = new Float64Array(DROPPED_REASONS.length);
  cacheHits = 0;
  cacheMisses = 0;
  cacheStale = 0;
  private readonly upstreamDuration: Histogram<"upstream" | "outcome">;
  /** Label lookups cost more than the observation: one bound child per upstream and outcome. */
  private readonly upstreamChildren = new Map<string, { observe(value: number): void }>();

  constructor(gauges: { cacheEntries: () => number; tcpConnections: () => number }) {
    const metrics = this;
    new Counter({
      name: "nat64_relay_dns_queries_total",
      help: "DNS queries answered, by question type and response code",
      labelNames: ["qtype", "rcode"],
      registers: [this.registry],
      collect() {
        this.reset();
        metrics.queries.forEach((count, slot) => {
          if (count > 0) {
            this.inc(
              {
                qtype: qtypeLabel(Math.floor(slot / RCODE_SLOTS)),
                rcode: rcodeLabel(slot % RCODE_SLOTS),
              },
              count,
            );
          }
        });
      },
    });
    new Counter({
      name: "nat64_relay_dns_refused_total",
      help: "Queries answered REFUSED, by reason",
      labelNames: ["reason"],
      registers: [this.registry],
      collect() {
        this.reset();
        REFUSED_REASONS.forEach((reason, index) => {
          this.inc({ reason }, metrics.refused[index]!);
        });
      },
    });
    new Counter({
      name: "nat64_relay_dns_dropped_total",
      help: "Packets dropped without an answer, by reason",
      labelNames: ["reason"],
      registers: [this.registry],
      collect() {
        this.reset();
        DROPPED_REASONS.forEach((reason, index) => {
          this.inc({ reason }, metrics.dropped[index]!);
        });
      },
    });
    new Counter({
      name: "nat64_relay_dns_cache_lookups_total",
      help: "AAAA cache lookups: hit (fresh), miss, stale (served past TTL, RFC 8767)",
      labelNames: ["result"],
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ result: "hit" }, metrics.cacheHits);
        this.inc({ result: "miss" }, metrics.cacheMisses);
        this.inc({ result: "stale" }, metrics.cacheStale);
      },
    });
    new Gauge({
      name: "nat64_relay_dns_cache_entries",
      help: "Real names in the cache",
      registers: [this.registry],
      collect() {
        this.set(gauges.cacheEntries());
      },
    });
    new Gauge({
      name: "nat64_relay_dns_tcp_connections",
      help: "Open DNS-over-TCP client connections",
      registers: [this.registry],
      collect() {
        this.set(gauges.tcpConnections());
      },
    });
    this.upstreamDuration = new Histogram({
      name: "nat64_relay_dns_upstream_duration_seconds",
      help: "Time for one upstream try, by upstream and outcome (answer, failure, timeout)",
      labelNames: ["upstream", "outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  countQuery(qtype: number, rcode: number): void {
    const slot = rcode < RCODE_LABELS.length ? rcode : RCODE_SLOTS - 1;
    this.queries[QTYPE_INDEX[qtype & 0xffff]! * RCODE_SLOTS + slot]! += 1;
  }

  countRefused(reason: RefusedReason): void {
    this.refused[REFUSED_REASONS.indexOf(reason)]! += 1;
  }

  countDropped(reason: DroppedReason): void {
    this.dropped[DROPPED_REASONS.indexOf(reason)]! += 1;
  }

  observeUpstream(upstream: string, outcome: string, seconds: number): void {
    const key = `${upstream} ${outcome}`;
    let child = this.upstreamChildren.get(key);
    if (!child) {
      child = this.upstreamDuration.labels({ upstream, outcome });
      this.upstreamChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
