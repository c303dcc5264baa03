// The fast path in the Prometheus exposition (format 0.0.4): whether it is active, how many
// clients it knows, what it translated and what it left to tayga, by reason. Pure.
import type { FastPathCounters } from "./counters.ts";
import { COUNTER_NAMES } from "./program.ts";

export interface FastPathMetrics {
  readonly active: boolean;
  readonly clients: number;
  readonly counters?: FastPathCounters;
}

export function renderFastPathMetrics(metrics: FastPathMetrics): string {
  const out: string[] = [];
  const header = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  header(
    "nat64_relay_fast_path_active",
    "gauge",
    "1 when the tc-BPF fast path is attached to tayga's tun",
  );
  out.push(`nat64_relay_fast_path_active ${metrics.active ? 1 : 0}`);
  header(
    "nat64_relay_fast_path_clients",
    "gauge",
    "Client pairs mirrored from tayga's dynamic.map",
  );
  out.push(`nat64_relay_fast_path_clients ${metrics.clients}`);
  const counters = metrics.counters;
  if (!counters) return `${out.join("\n")}\n`;
  header(
    "nat64_relay_fast_path_packets_total",
    "counter",
    "Packets the fast path translated, by direction (a GSO super-packet counts once)",
  );
  out.push(
    `nat64_relay_fast_path_packets_total{direction="v6_to_v4"} ${counters.FAST_V6_TO_V4_PACKETS}`,
  );
  out.push(
    `nat64_relay_fast_path_packets_total{direction="v4_to_v6"} ${counters.FAST_V4_TO_V6_PACKETS}`,
  );
  header(
    "nat64_relay_fast_path_bytes_total",
    "counter",
    "Bytes the fast path translated, by direction",
  );
  out.push(
    `nat64_relay_fast_path_bytes_total{direction="v6_to_v4"} ${counters.FAST_V6_TO_V4_BYTES}`,
  );
  out.push(
    `nat64_relay_fast_path_bytes_total{direction="v4_to_v6"} ${counters.FAST_V4_TO_V6_BYTES}`,
  );
  header(
    "nat64_relay_fast_path_to_tayga_packets_total",
    "counter",
    "Packets the fast path left to tayga, by reason",
  );
  for (const name of COUNTER_NAMES.filter((counter) => counter.startsWith("TAYGA_"))) {
    const reason = name.slice("TAYGA_".length).toLowerCase();
    out.push(`nat64_relay_fast_path_to_tayga_packets_total{reason="${reason}"} ${counters[name]}`);
  }
  header(
    "nat64_relay_fast_path_dropped_total",
    "counter",
    "Packets dropped because a helper failed after the header was rewritten",
  );
  out.push(`nat64_relay_fast_path_dropped_total ${counters.DROPPED_AFTER_REWRITE}`);
  return `${out.join("\n")}\n`;
}
