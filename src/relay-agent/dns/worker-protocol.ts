// Messages between the agent's primary and its DNS workers (threads or processes): the config
// to serve, the synthesized IPv4s to put into the guard before answering, and the numbers.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import type { MetricsSnapshot } from "./metrics.ts";

export type ToWorker =
  | { kind: "nat64-relay:config"; config: ResolvedRelayConfig; serial: number; observe: boolean }
  | { kind: "nat64-relay:observed"; id: number }
  | { kind: "nat64-relay:metrics"; id: number }
  | { kind: "nat64-relay:stop" };

export type FromWorker =
  | { kind: "nat64-relay:applied" }
  | { kind: "nat64-relay:failed"; message: string }
  | { kind: "nat64-relay:observe"; id: number; ipv4s: string[]; ttl: number }
  /** `id` answers a metrics request; undefined: the periodic report. */
  | { kind: "nat64-relay:metrics-snapshot"; id?: number; snapshot: MetricsSnapshot };

export const isOurs = (message: unknown): message is { kind: string } =>
  typeof message === "object" &&
  message !== null &&
  String((message as { kind?: unknown }).kind).startsWith("nat64-relay:");

/** How often a worker reports its numbers unasked (managed mode's status reports read them). */
export const SNAPSHOT_INTERVAL_MS = 1000;

/** The worker thread's workerData: marks a thread as a DNS worker. */
export interface DnsThreadData {
  readonly nat64RelayDnsWorker: true;
  readonly logLevel: string;
  readonly bindings: Record<string, unknown>;
}
