// The DNS side of the agent's pipeline: the first apply starts the server (or the worker
// cluster), every later one reloads it in place, keeping the sockets of addresses that stay.
import type { Logger } from "pino";
import type { AgentDns } from "../agent.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import { type DnsCluster, startDnsCluster } from "./cluster.ts";
import { DnsServer, type DnsServerDeps } from "./dns-server.ts";

export interface AgentDnsOptions {
  readonly logger: Logger;
  readonly observer?: SynthesisObserver;
  /** More exposition text after the DNS server's (the data plane's fast path). */
  readonly extraMetrics?: () => Promise<string>;
  /** DNS worker processes sharing the listen ports; 1: one server in this process. */
  readonly workers: number;
  /** Test seams for the in-process server (fake upstream client, TCP limits...). */
  readonly deps?: Partial<Omit<DnsServerDeps, "logger" | "observer">>;
}

export interface InProcessDns extends AgentDns {
  /** The running server (undefined before the first apply, or with several workers). */
  readonly server: DnsServer | undefined;
}

export function agentDns(options: AgentDnsOptions): InProcessDns {
  const observer = {
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.extraMetrics ? { extraMetrics: options.extraMetrics } : {}),
  };
  if (options.workers > 1) {
    let cluster: DnsCluster | undefined;
    return {
      server: undefined,
      // The primary serves the summed metrics on the address it was started with.
      // Workers get their heap cap from cacheSize when forked.
      restartKeys: ["cacheSize", "metricsListen"],
      async apply(settings, config) {
        if (cluster) return cluster.apply(config, settings.handler.soa.serial);
        cluster = await startDnsCluster({
          count: options.workers,
          config,
          serial: settings.handler.soa.serial,
          logger: options.logger,
          ...observer,
        });
      },
      close: async () => cluster?.close(),
    };
  }
  let server: DnsServer | undefined;
  return {
    get server() {
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
