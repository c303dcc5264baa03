import { describe, expect, it } from "vitest";
import type { FastPathCounters } from "../../../src/relay-agent/resources/accelerators/fast-path/counters.ts";
import { renderFastPathMetrics } from "../../../src/relay-agent/resources/accelerators/fast-path/metrics.ts";
import { COUNTER_NAMES } from "../../../src/relay-agent/resources/accelerators/fast-path/program.ts";

describe("fast path metrics", () => {
  it("exports active, clients, translated packets and bytes, and tayga's share by reason", () => {
    const counters = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0n])) as Record<
      (typeof COUNTER_NAMES)[number],
      bigint
    >;
    counters.FAST_V6_TO_V4_PACKETS = 10n;
    counters.FAST_V4_TO_V6_BYTES = 123_456n;
    counters.TAYGA_V6_UNKNOWN_CLIENT = 4n;
    const text = renderFastPathMetrics({
      active: true,
      clients: 2,
      counters: counters as FastPathCounters,
    });
    const samples = text.split("\n").filter((line) => line && !line.startsWith("#"));
    expect(samples).toEqual([
      "nat64_relay_fast_path_active 1",
      "nat64_relay_fast_path_clients 2",
      'nat64_relay_fast_path_packets_total{direction="v6_to_v4"} 10',
      'nat64_relay_fast_path_packets_total{direction="v4_to_v6"} 0',
      'nat64_relay_fast_path_bytes_total{direction="v6_to_v4"} 0',
      'nat64_relay_fast_path_bytes_total{direction="v4_to_v6"} 123456',
      ...COUNTER_NAMES.filter((name) => name.startsWith("TAYGA_")).map(
        (name) =>
          `nat64_relay_fast_path_to_tayga_packets_total{reason="${name.slice(6).toLowerCase()}"} ${name === "TAYGA_V6_UNKNOWN_CLIENT" ? 4 : 0}`,
      ),
      "nat64_relay_fast_path_dropped_total 0",
    ]);
  });

  it("without the program: inactive, no counters", () => {
    expect(renderFastPathMetrics({ active: false, clients: 0 })).toBe(
      [
        "# HELP nat64_relay_fast_path_active 1 when the tc-BPF fast path is attached to tayga's tun",
        "# TYPE nat64_relay_fast_path_active gauge",
        "nat64_relay_fast_path_active 0",
        "# HELP nat64_relay_fast_path_clients Client pairs mirrored from tayga's dynamic.map",
        "# TYPE nat64_relay_fast_path_clients gauge",
        "nat64_relay_fast_path_clients 0",
        "",
      ].join("\n"),
    );
  });
});
