// Prometheus metrics of the DNS server. The hot path bumps plain numbers in typed arrays; the
// text exposition (format 0.0.4) is written only when scraped. Written here rather than with
// prom-client: loading prom-client adds ~21 MB of RSS to every process (measured on Node 24),
// more than 100,000 cached names cost, and the agent's RSS budget is 150 MB.

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
const CACHE_RESULTS = ["hit", "miss", "stale"] as const;
/**
 * Why the server closed a TCP connection on its own (docs/security.md): refused at accept
 * (`source` outside allowFrom, `connection_cap`, `source_cap`), or a per-connection limit
 * (`idle`, `query_timeout`, `lifetime`, `unsent`: answers piled up unread).
 */
export const TCP_CLOSE_REASONS = [
  "source",
  "connection_cap",
  "source_cap",
  "idle",
  "query_timeout",
  "lifetime",
  "unsent",
] as const;
export type TcpCloseReason = (typeof TCP_CLOSE_REASONS)[number];

/** Upper bounds (seconds) of the upstream latency histogram buckets. */
export const UPSTREAM_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

interface HistogramSeries {
  upstream: string;
  outcome: string;
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/** Everything the exposition shows, as plain JSON: what workers send the primary to sum. */
export interface MetricsSnapshot {
  queries: number[];
  refused: number[];
  dropped: number[];
  cache: number[];
  tcpClosed: number[];
  cacheEntries: number;
  cacheBytes: number;
  tcpConnections: number;
  upstream: HistogramSeries[];
}

/** Values read when scraped. */
export interface Gauges {
  readonly cacheEntries: () => number;
  readonly cacheBytes: () => number;
  readonly tcpConnections: () => number;
}

export class DnsMetrics {
  private readonly queries = new Float64Array(QTYPES.length * RCODE_SLOTS);
  private readonly refused = new Float64Array(REFUSED_REASONS.length);
  private readonly dropped = new Float64Array(DROPPED_REASONS.length);
  private readonly tcpClosed = new Float64Array(TCP_CLOSE_REASONS.length);
  cacheHits = 0;
  cacheMisses = 0;
  cacheStale = 0;
  /** Histogram series by upstream, then by outcome. */
  private readonly upstream = new Map<string, Map<string, HistogramSeries>>();
  private readonly gauges: Gauges;

  constructor(gauges: Gauges) {
    this.gauges = gauges;
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

  countTcpClosed(reason: TcpCloseReason): void {
    this.tcpClosed[TCP_CLOSE_REASONS.indexOf(reason)]! += 1;
  }

  observeUpstream(upstream: string, outcome: string, seconds: number): void {
    // Nested maps: no key string built per observation (this runs once per upstream try).
    let byOutcome = this.upstream.get(upstream);
    if (!byOutcome) {
      byOutcome = new Map();
      this.upstream.set(upstream, byOutcome);
    }
    let series = byOutcome.get(outcome);
    if (!series) {
      series = {
        upstream,
        outcome,
        buckets: new Array(UPSTREAM_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      byOutcome.set(outcome, series);
    }
    let bucket = 0;
    while (bucket < UPSTREAM_BUCKETS.length && seconds > UPSTREAM_BUCKETS[bucket]!) bucket++;
    series.buckets[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  snapshot(): MetricsSnapshot {
    return {
      queries: [...this.queries],
      refused: [...this.refused],
      dropped: [...this.dropped],
      cache: [this.cacheHits, this.cacheMisses, this.cacheStale],
      tcpClosed: [...this.tcpClosed],
      cacheEntries: this.gauges.cacheEntries(),
      cacheBytes: this.gauges.cacheBytes(),
      tcpConnections: this.gauges.tcpConnections(),
      upstream: [...this.upstream.values()].flatMap((byOutcome) =>
        [...byOutcome.values()].map((series) => ({ ...series, buckets: [...series.buckets] })),
      ),
    };
  }

  /** Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    return renderMetrics(this.snapshot());
  }
}

/** Adds snapshots of several worker processes (counters, gauges and histograms all sum). */
export function sumSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const add = (a: number[], b: number[]) => a.map((value, index) => value + (b[index] ?? 0));
  const upstream = new Map<string, HistogramSeries>();
  for (const snapshot of snapshots) {
    for (const series of snapshot.upstream) {
      const key = `${series.upstream} ${series.outcome}`;
      const known = upstream.get(key);
      if (!known) upstream.set(key, { ...series, buckets: [...series.buckets] });
      else {
        known.buckets = add(known.buckets, series.buckets);
        known.sum += series.sum;
        known.count += series.count;
      }
    }
  }
  const empty = new DnsMetrics({
    cacheEntries: () => 0,
    cacheBytes: () => 0,
    tcpConnections: () => 0,
  }).snapshot();
  return snapshots.reduce<MetricsSnapshot>(
    (total, snapshot) => ({
      queries: add(total.queries, snapshot.queries),
      refused: add(total.refused, snapshot.refused),
      dropped: add(total.dropped, snapshot.dropped),
      cache: add(total.cache, snapshot.cache),
      tcpClosed: add(total.tcpClosed, snapshot.tcpClosed),
      cacheEntries: total.cacheEntries + snapshot.cacheEntries,
      cacheBytes: total.cacheBytes + snapshot.cacheBytes,
      tcpConnections: total.tcpConnections + snapshot.tcpConnections,
      upstream: [...upstream.values()],
    }),
    { ...empty, upstream: [...upstream.values()] },
  );
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(",")}}`;

export function renderMetrics(snapshot: MetricsSnapshot): string {
  const out: string[] = [];
  const header = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  header(
    "nat64_relay_dns_queries_total",
    "counter",
    "DNS queries answered, by question type and response code",
  );
  snapshot.queries.forEach((count, slot) => {
    if (count > 0) {
      const qtype = qtypeLabel(Math.floor(slot / RCODE_SLOTS));
      const rcode = rcodeLabel(slot % RCODE_SLOTS);
      out.push(`nat64_relay_dns_queries_total${labels({ qtype, rcode })} ${count}`);
    }
  });
  header("nat64_relay_dns_refused_total", "counter", "Queries answered REFUSED, by reason");
  REFUSED_REASONS.forEach((reason, index) => {
    out.push(`nat64_relay_dns_refused_total${labels({ reason })} ${snapshot.refused[index] ?? 0}`);
  });
  header(
    "nat64_relay_dns_dropped_total",
    "counter",
    "Packets dropped without an answer, by reason",
  );
  DROPPED_REASONS.forEach((reason, index) => {
    out.push(`nat64_relay_dns_dropped_total${labels({ reason })} ${snapshot.dropped[index] ?? 0}`);
  });
  header(
    "nat64_relay_dns_cache_lookups_total",
    "counter",
    "AAAA cache lookups: hit (fresh), miss, stale (served past TTL, RFC 8767)",
  );
  CACHE_RESULTS.forEach((result, index) => {
    out.push(
      `nat64_relay_dns_cache_lookups_total${labels({ result })} ${snapshot.cache[index] ?? 0}`,
    );
  });
  header("nat64_relay_dns_cache_entries", "gauge", "Real names in the cache");
  out.push(`nat64_relay_dns_cache_entries ${snapshot.cacheEntries}`);
  header(
    "nat64_relay_dns_cache_bytes",
    "gauge",
    "Estimated memory held by the cache, bytes (bounded by cacheBytes)",
  );
  out.push(`nat64_relay_dns_cache_bytes ${snapshot.cacheBytes}`);
  header("nat64_relay_dns_tcp_connections", "gauge", "Open DNS-over-TCP client connections");
  out.push(`nat64_relay_dns_tcp_connections ${snapshot.tcpConnections}`);
  header(
    "nat64_relay_dns_tcp_closed_total",
    "counter",
    "TCP connections the server refused at accept or closed at a limit, by reason",
  );
  TCP_CLOSE_REASONS.forEach((reason, index) => {
    out.push(
      `nat64_relay_dns_tcp_closed_total${labels({ reason })} ${snapshot.tcpClosed[index] ?? 0}`,
    );
  });
  const histogram = "nat64_relay_dns_upstream_duration_seconds";
  header(
    histogram,
    "histogram",
    "Time for one upstream try, by upstream and outcome (answer, failure, timeout)",
  );
  for (const series of snapshot.upstream) {
    const base = { upstream: series.upstream, outcome: series.outcome };
    let cumulative = 0;
    series.buckets.forEach((count, index) => {
      cumulative += count;
      const le = index < UPSTREAM_BUCKETS.length ? String(UPSTREAM_BUCKETS[index]) : "+Inf";
      out.push(`${histogram}_bucket${labels({ ...base, le })} ${cumulative}`);
    });
    out.push(`${histogram}_sum${labels(base)} ${series.sum}`);
    out.push(`${histogram}_count${labels(base)} ${series.count}`);
  }
  return `${out.join("\n")}\n`;
}
