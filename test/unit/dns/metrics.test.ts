import { describe, expect, it } from "vitest";
import {
  DnsMetrics,
  renderMetrics,
  sumSnapshots,
  UPSTREAM_BUCKETS,
} from "../../../src/relay-agent/dns/metrics.ts";

const gauges = (entries: number) => ({
  cacheEntries: () => entries,
  cacheBytes: () => entries * 300,
  tcpConnections: () => 1,
});

describe("DNS metrics exposition", () => {
  it("counts queries by qtype and rcode, folding unknown types into other", async () => {
    const metrics = new DnsMetrics(gauges(3));
    metrics.countQuery(28, 0);
    metrics.countQuery(28, 0);
    metrics.countQuery(65, 0);
    metrics.countQuery(999, 3);
    metrics.countQuery(28, 16);
    const text = await metrics.render();
    expect(text).toContain('nat64_relay_dns_queries_total{qtype="AAAA",rcode="NOERROR"} 2');
    expect(text).toContain('nat64_relay_dns_queries_total{qtype="HTTPS",rcode="NOERROR"} 1');
    expect(text).toContain('nat64_relay_dns_queries_total{qtype="other",rcode="NXDOMAIN"} 1');
    expect(text).toContain('nat64_relay_dns_queries_total{qtype="AAAA",rcode="BADVERS"} 1');
    expect(text).toContain("# TYPE nat64_relay_dns_queries_total counter");
    expect(text).toContain("nat64_relay_dns_cache_entries 3");
  });

  it("writes cumulative histogram buckets with +Inf, sum and count", async () => {
    const metrics = new DnsMetrics(gauges(0));
    metrics.observeUpstream('10.0.0.1:53 "x"', "answer", 0.0007);
    metrics.observeUpstream('10.0.0.1:53 "x"', "answer", 0.3);
    metrics.observeUpstream('10.0.0.1:53 "x"', "answer", 60);
    const text = await metrics.render();
    const series = 'upstream="10.0.0.1:53 \\"x\\"",outcome="answer"';
    expect(text).toContain(
      `nat64_relay_dns_upstream_duration_seconds_bucket{${series},le="0.0005"} 0`,
    );
    expect(text).toContain(
      `nat64_relay_dns_upstream_duration_seconds_bucket{${series},le="0.001"} 1`,
    );
    expect(text).toContain(
      `nat64_relay_dns_upstream_duration_seconds_bucket{${series},le="0.5"} 2`,
    );
    expect(text).toContain(
      `nat64_relay_dns_upstream_duration_seconds_bucket{${series},le="${UPSTREAM_BUCKETS.at(-1)}"} 2`,
    );
    expect(text).toContain(
      `nat64_relay_dns_upstream_duration_seconds_bucket{${series},le="+Inf"} 3`,
    );
    expect(text).toContain(`nat64_relay_dns_upstream_duration_seconds_count{${series}} 3`);
    expect(text).toContain(
      `nat64_relay_dns_upstream_duration_seconds_sum{${series}} ${0.0007 + 0.3 + 60}`,
    );
  });

  it("sums the snapshots of several workers", () => {
    const one = new DnsMetrics(gauges(10));
    const two = new DnsMetrics(gauges(5));
    one.countQuery(1, 0);
    two.countQuery(1, 0);
    two.countRefused("zone");
    one.countTcpClosed("unsent");
    two.countTcpClosed("unsent");
    two.countTcpClosed("source_cap");
    one.cacheHits = 4;
    two.cacheHits = 6;
    one.observeUpstream("u", "timeout", 1.5);
    two.observeUpstream("u", "timeout", 1.5);
    const text = renderMetrics(sumSnapshots([one.snapshot(), two.snapshot()]));
    expect(text).toContain('nat64_relay_dns_queries_total{qtype="A",rcode="NOERROR"} 2');
    expect(text).toContain('nat64_relay_dns_refused_total{reason="zone"} 1');
    expect(text).toContain('nat64_relay_dns_cache_lookups_total{result="hit"} 10');
    expect(text).toContain("nat64_relay_dns_cache_entries 15");
    expect(text).toContain("nat64_relay_dns_cache_bytes 4500");
    expect(text).toContain('nat64_relay_dns_tcp_closed_total{reason="unsent"} 2');
    expect(text).toContain('nat64_relay_dns_tcp_closed_total{reason="source_cap"} 1');
    expect(text).toContain('nat64_relay_dns_tcp_closed_total{reason="idle"} 0');
    expect(text).toContain("nat64_relay_dns_tcp_connections 2");
    expect(text).toContain(
      'nat64_relay_dns_upstream_duration_seconds_count{upstream="u",outcome="timeout"} 2',
    );
  });
});
