// Several DNS worker processes sharing the listen ports (SO_REUSEPORT: the kernel spreads
// clients across them), for `agent run --workers N`. The primary owns the config, the data
// plane and the metrics endpoint; workers own sockets and caches. Messages are the only link.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import type { ResolvedRelayConfig } from "../../core/index.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import { DnsServer } from "./dns-server.ts";
import { heapFlags } from "./heap.ts";
import { type MetricsSnapshot, renderMetrics, sumSnapshots } from "./metrics.ts";
import { MetricsHttpServer } from "./metrics-http.ts";
import { dnsSettingsFrom } from "./settings.ts";

type ToWorker =
  | { kind: "nat64-relay:config"; config: ResolvedRelayConfig; serial: number; observe: boolean }
  | { kind: "nat64-relay:observed"; id: number }
  | { kind: "nat64-relay:metrics"; id: number }
  | { kind: "nat64-relay:stop" };
type FromWorker =
  | { kind: "nat64-relay:applied" }
  | { kind: "nat64-relay:failed"; message: string }
  | { kind: "nat64-relay:observe"; id: number; ipv4s: string[]; ttl: number }
  | { kind: "nat64-relay:metrics-snapshot"; id: number; snapshot: MetricsSnapshot };

const isOurs = (message: unknown): message is { kind: string } =>
  typeof message === "object" &&
  message !== null &&
  String((message as { kind?: unknown }).kind).startsWith("nat64-relay:");

/** How long the primary waits for a worker to apply a config or to stop. */
const WORKER_DEADLINE_MS = 15_000;

export interface DnsCluster {
  /** Sends a config to every worker and waits until each applied it (or failed). */
  apply(config: ResolvedRelayConfig, serial: number): Promise<void>;
  close(): Promise<void>;
}

/** Primary side: forks `count` workers running this same command, feeds them the config. */
export async function startDnsCluster(options: {
  count: number;
  config: ResolvedRelayConfig;
  serial: number;
  logger: Logger;
  observer?: SynthesisObserver;
  /** More exposition text appended to the workers' sum (the data plane's fast path). */
  extraMetrics?: () => Promise<string>;
}): Promise<DnsCluster> {
  const { logger, observer } = options;
  const flagless = process.execArgv.filter((flag) => !/--max-(old|semi)-space-size/.test(flag));
  cluster.setupPrimary({ execArgv: [...flagless, ...heapFlags(options.config.cacheSize)] });
  let nextMetricsId = 0;
  const metricsWaiters = new Map<number, (snapshot: MetricsSnapshot) => void>();
  let current = { config: options.config, serial: options.serial };
  let stopping = false;
  let metricsServer: MetricsHttpServer | undefined;
  const workers = new Set<Worker>();

  const send = (worker: Worker, message: ToWorker) => worker.send(message);

  function waitFor(worker: Worker): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("a DNS worker did not answer in time")),
        WORKER_DEADLINE_MS,
      );
      const onMessage = (message: unknown) => {
        if (!isOurs(message)) return;
        const typed = message as FromWorker;
        if (typed.kind === "nat64-relay:applied" || typed.kind === "nat64-relay:failed") {
          clearTimeout(timer);
          worker.off("message", onMessage);
          worker.off("exit", onExit);
          if (typed.kind === "nat64-relay:applied") resolve();
          else reject(new Error(typed.message));
        }
      };
      const onExit = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        reject(new Error("a DNS worker exited while applying the config"));
      };
      worker.on("message", onMessage);
      worker.once("exit", onExit);
    });
  }

  function fork(): Worker {
    const worker = cluster.fork({ NAT64_RELAY_DNS_WORKER: "1" });
    workers.add(worker);
    worker.on("message", (message: unknown) => {
      if (!isOurs(message)) return;
      const typed = message as FromWorker;
      if (typed.kind === "nat64-relay:metrics-snapshot") {
        metricsWaiters.get(typed.id)?.(typed.snapshot);
        return;
      }
      if (typed.kind !== "nat64-relay:observe") return;
      const { id, ipv4s, ttl } = typed;
      Promise.resolve(observer?.(ipv4s, ttl))
        .catch((error: unknown) => logger.error({ err: error }, "synthesis observer failed"))
        .finally(() => {
          if (worker.isConnected()) send(worker, { kind: "nat64-relay:observed", id });
        });
    });
    worker.once("exit", (code, signal) => {
      workers.delete(worker);
      if (stopping) return;
      logger.error({ code, signal }, "a DNS worker died; starting another");
      const replacement = fork();
      send(replacement, {
        kind: "nat64-relay:config",
        ...current,
        observe: observer !== undefined,
      });
      waitFor(replacement).catch((error: unknown) =>
        logger.error({ err: error }, "the replacement DNS worker failed"),
      );
    });
    return worker;
  }

  /** Asks every worker for its numbers (1 s at most) and renders their sum. */
  async function clusterMetrics(): Promise<string> {
    const snapshots = await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<MetricsSnapshot | undefined>((resolve) => {
            const id = nextMetricsId++;
            const timer = setTimeout(() => {
              metricsWaiters.delete(id);
              resolve(undefined);
            }, 1000);
            metricsWaiters.set(id, (snapshot) => {
              clearTimeout(timer);
              metricsWaiters.delete(id);
              resolve(snapshot);
            });
            if (worker.isConnected()) send(worker, { kind: "nat64-relay:metrics", id });
          }),
      ),
    );
    const dns = renderMetrics(sumSnapshots(snapshots.filter((snapshot) => snapshot !== undefined)));
    return dns + ((await options.extraMetrics?.()) ?? "");
  }

  async function apply(config: ResolvedRelayConfig, serial: number): Promise<void> {
    current = { config, serial };
    await Promise.all(
      [...workers].map((worker) => {
        const applied = waitFor(worker);
        send(worker, {
          kind: "nat64-relay:config",
          config,
          serial,
          observe: observer !== undefined,
        });
        return applied;
      }),
    );
  }

  async function close(): Promise<void> {
    stopping = true;
    await metricsServer?.close();
    await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => worker.process.kill("SIGKILL"), WORKER_DEADLINE_MS);
            worker.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            if (worker.isConnected()) send(worker, { kind: "nat64-relay:stop" });
            else worker.process.kill("SIGTERM");
          }),
      ),
    );
  }

  for (let index = 0; index < options.count; index++) fork();
  try {
    await apply(options.config, options.serial);
    const metricsListen = dnsSettingsFrom(options.config, options.serial).metricsListen;
    if (metricsListen) {
      metricsServer = await MetricsHttpServer.open(metricsListen, clusterMetrics);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { apply, close };
}

export function isDnsWorker(env: NodeJS.ProcessEnv): boolean {
  return cluster.isWorker && env.NAT64_RELAY_DNS_WORKER === "1";
}

/** Worker side: runs a DnsServer on shared ports with whatever config the primary sends. */
export function runDnsWorker(logger: Logger): Promise<number> {
  let server: DnsServer | undefined;
  let nextId = 0;
  const pending = new Map<number, () => void>();
  const observer: SynthesisObserver = (ipv4s, ttl) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      process.send?.({
        kind: "nat64-relay:observe",
        id,
        ipv4s: [...ipv4s],
        ttl,
      } satisfies FromWorker);
    });
  let queue: Promise<unknown> = Promise.resolve();
  return new Promise((resolve) => {
    process.on("message", (message: unknown) => {
      if (!isOurs(message)) return;
      const typed = message as ToWorker;
      if (typed.kind === "nat64-relay:observed") {
        pending.get(typed.id)?.();
        pending.delete(typed.id);
        return;
      }
      if (typed.kind === "nat64-relay:metrics") {
        const snapshot = server?.metrics.snapshot();
        if (snapshot) {
          process.send?.({
            kind: "nat64-relay:metrics-snapshot",
            id: typed.id,
            snapshot,
          } satisfies FromWorker);
        }
        return;
      }
      queue = queue.then(async () => {
        if (typed.kind === "nat64-relay:stop") {
          await server?.close();
          process.disconnect?.();
          resolve(0);
          return;
        }
        try {
          const settings = dnsSettingsFrom(typed.config, typed.serial);
          if (server) await server.reload(settings);
          else {
            server = await DnsServer.start(settings, {
              logger,
              reusePort: true,
              serveMetrics: false,
              ...(typed.observe ? { observer } : {}),
            });
          }
          process.send?.({ kind: "nat64-relay:applied" } satisfies FromWorker);
        } catch (error) {
          process.send?.({
            kind: "nat64-relay:failed",
            message: error instanceof Error ? error.message : String(error),
          } satisfies FromWorker);
        }
      });
    });
    // SIGTERM/SIGINT reach the whole process group; the primary coordinates the stop.
    process.on("SIGTERM", () => {});
    process.on("SIGINT", () => {});
    process.on("SIGHUP", () => {});
  });
}
