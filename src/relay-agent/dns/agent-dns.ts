// The DNS side of the agent's pipeline: the first apply starts the DNS workers (one thread, or
// `--workers N` processes), every later one reloads them in place, keeping the sockets of
// addresses that stay. Every key is applied without a restart: a cacheBytes that needs other
// heap limits gets new workers (dns/dns-workers.ts).
import type { Logger } from "pino";
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import type { AgentDns } from "../agent.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import { DnsServer, type DnsServerDeps } from "./dns-server.ts";
import { type DnsWorkers, startDnsWorkers } from "./dns-workers.ts";
import type { MetricsSnapshot } from "./metrics.ts";

export interface AgentDnsOptions {
  readonly logger: Logger;
  readonly observer?: SynthesisObserver;
  /** More exposition text after the DNS server's (the data plane's fast path). */
  readonly extraMetrics?: () => Promise<string>;
  /** DNS worker processes sharing the listen ports; 1: one worker thread in this process. */
  readonly workers: number;
  /**
   * Test seams (fake upstream client, TCP limits...): they cannot cross into a worker, so with
   * them the server runs on this thread, without heap limits of its own.
   */
  readonly deps?: Partial<Omit<DnsServerDeps, "logger" | "observer">>;
}

/** The DNS numbers as the agent reports them (managed mode's status). */
export interface DnsNumbers {
  readonly metrics: { snapshot(): MetricsSnapshot };
}

export interface RunningDns extends AgentDns {
  /** undefined before the first apply. */
  readonly numbers: DnsNumbers | undefined;
  /** The server itself when it runs on this thread (test seams given). */
  readonly server: DnsServer | undefined;
}

export function agentDns(options: AgentDnsOptions): RunningDns {
  const observer = {
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.extraMetrics ? { extraMetrics: options.extraMetrics } : {}),
  };
  if (options.deps) {
    let server: DnsServer | undefined;
    return {
      get server() {
        return server;
      },
      get numbers() {
        return server;
      },
      restartKeys: [],
      async apply(settings) {
        if (server) return server.reload(settings);
        server = await DnsServer.start(settings, {
          ...options.deps,
          logger: options.logger,
          ...observer,
        });
      },
      close: async () => server?.close(),
    };
  }
  let workers: DnsWorkers | undefined;
  const prepare = (config: ResolvedRelayConfig): DnsWorkers => {
    workers ??= startDnsWorkers({
      kind: options.workers > 1 ? "process" : "thread",
      count: options.workers,
      cacheBytes: config.cacheBytes,
      logger: options.logger,
      ...observer,
    });
    return workers;
  };
  return {
    server: undefined,
    get numbers() {
      const running = workers;
      return running ? { metrics: { snapshot: () => running.snapshot() } } : undefined;
    },
    restartKeys: [],
    prepare,
    apply: (settings, config) => prepare(config).apply(config, settings.handler.soa.serial),
    close: async () => workers?.close(),
  };
}
