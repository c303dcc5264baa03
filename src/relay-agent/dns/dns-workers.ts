// The agent's DNS runs in workers: one thread for `agent run` (its heap limits come from
// cacheBytes, so memory stays bounded without restarting node with flags), or several processes
// sharing the listen ports for `--workers N` (SO_REUSEPORT: the kernel spreads clients across
// them). The primary owns the config, the data plane and the metrics endpoint; workers own
// sockets and caches; messages are the only link. A config whose cacheBytes needs other heap
// limits gets new workers: each replacement listens (same ports) before the one it replaces stops.
// See docs/design.md, "DNS workers and memory".
import cluster from "node:cluster";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import { formatHostPort, type HostPort } from "../../core/host-port.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import {
  type HeapLimits,
  heapFlags,
  heapLimits,
  sameLimits,
  threadResourceLimits,
  withoutHeapFlags,
} from "./heap.ts";
import { type MetricsSnapshot, renderMetrics, sumSnapshots } from "./metrics.ts";
import { MetricsHttpServer } from "./metrics-http.ts";
import { dnsSettingsFrom } from "./settings.ts";
import { type DnsThreadData, type FromWorker, isOurs, type ToWorker } from "./worker-protocol.ts";
import { WorkerRestarts, type WorkerRun } from "./worker-restarts.ts";

export type DnsWorkerKind = "thread" | "process";

/** How long the primary waits for a worker to apply a config or to stop. */
const WORKER_DEADLINE_MS = 15_000;

/** One worker as the primary drives it, whatever it runs in. */
export interface WorkerHandle {
  readonly limits: HeapLimits;
  send(message: ToWorker): void;
  onMessage(listener: (message: unknown) => void): void;
  offMessage(listener: (message: unknown) => void): void;
  onceExit(listener: (code: number | null, signal: string | null) => void): void;
  offExit(listener: (code: number | null, signal: string | null) => void): void;
  connected(): boolean;
  /** Ends it without waiting for a clean stop. */
  kill(): void;
}

/** The thread's entry: dns-thread.ts next to this file, in whatever form this one runs (.ts/.js). */
const THREAD_ENTRY = new URL(
  `./dns-thread${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

function startThread(limits: HeapLimits, logger: Logger): WorkerHandle {
  const workerData: DnsThreadData = {
    nat64RelayDnsWorker: true,
    logLevel: logger.level,
    bindings: logger.bindings(),
  };
  const worker = new Worker(THREAD_ENTRY, {
    workerData,
    resourceLimits: threadResourceLimits(limits),
  });
  let alive = true;
  worker.once("exit", () => {
    alive = false;
  });
  // A thread that runs out of its heap ends with an error, then exits: the exit is what counts.
  worker.on("error", (error) => logger.error({ err: error }, "a DNS worker thread failed"));
  const exitListeners = new Map<unknown, (code: number) => void>();
  return {
    limits,
    send: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on("message", listener),
    offMessage: (listener) => worker.off("message", listener),
    onceExit: (listener) => {
      const wrapped = (code: number) => listener(code, null);
      exitListeners.set(listener, wrapped);
      worker.once("exit", wrapped);
    },
    offExit: (listener) => {
      const wrapped = exitListeners.get(listener);
      if (wrapped) worker.off("exit", wrapped);
    },
    connected: () => alive,
    kill: () => void worker.terminate(),
  };
}

/** A write to a worker whose channel closed under it: the worker is going away. */
const CHANNEL_GONE = new Set(["EPIPE", "ERR_IPC_CHANNEL_CLOSED", "ECONNRESET"]);

function startProcess(limits: HeapLimits, logger: Logger): WorkerHandle {
  cluster.setupPrimary({ execArgv: [...withoutHeapFlags(process.execArgv), ...heapFlags(limits)] });
  const worker = cluster.fork({ NAT64_RELAY_DNS_WORKER: "1" });
  // A worker being retired (or dying) can close its channel between the isConnected() check
  // and the write, which then fails with EPIPE. Unhandled, that error would end the primary;
  // the worker's exit is what counts, and onceExit handles it.
  worker.on("error", (error: NodeJS.ErrnoException) => {
    if (!CHANNEL_GONE.has(error.code ?? "")) logger.warn({ err: error }, "a DNS worker failed");
  });
  return {
    limits,
    send: (message) => {
      if (worker.isConnected()) worker.send(message);
    },
    onMessage: (listener) => worker.on("message", listener),
    offMessage: (listener) => worker.off("message", listener),
    onceExit: (listener) => worker.once("exit", listener),
    offExit: (listener) => worker.off("exit", listener),
    connected: () => worker.isConnected(),
    kill: () => worker.process.kill("SIGKILL"),
  };
}

export interface DnsWorkers {
  /**
   * Sends a config to every worker and waits until each applied it (or failed). The first one
   * makes them listen; one whose cacheBytes needs other heap limits replaces them first.
   */
  apply(config: ResolvedRelayConfig, serial: number): Promise<void>;
  /** The numbers every worker last reported (about once a second), summed. */
  snapshot(): MetricsSnapshot;
  close(): Promise<void>;
}

/**
 * Starts the workers with heap limits for `cacheBytes`; they load their code at once (so that
 * overlaps the data plane's apply) and listen on the first `apply`.
 */
export function startDnsWorkers(options: {
  kind: DnsWorkerKind;
  count: number;
  cacheBytes: number;
  logger: Logger;
  observer?: SynthesisObserver;
  /** More exposition text appended to the workers' sum (the data plane's fast path). */
  extraMetrics?: () => Promise<string>;
  /** Starts one worker; default: a thread or a process, as `kind` says (tests pass a fake). */
  spawn?: (limits: HeapLimits) => WorkerHandle;
  /** When a worker that died is started again (backoff, clock); tests drive a fake clock. */
  restarts?: WorkerRestarts;
}): DnsWorkers {
  const { logger, observer } = options;
  const spawn =
    options.spawn ??
    ((limits: HeapLimits) =>
      options.kind === "thread" ? startThread(limits, logger) : startProcess(limits, logger));
  const restarts = options.restarts ?? new WorkerRestarts();
  let nextMetricsId = 0;
  const metricsWaiters = new Map<number, (snapshot: MetricsSnapshot) => void>();
  const reported = new Map<WorkerHandle, MetricsSnapshot>();
  let current: { config: ResolvedRelayConfig; serial: number } | undefined;
  let stopping = false;
  let metricsServer: MetricsHttpServer | undefined;
  let metricsAt: HostPort | undefined;
  const workers = new Set<WorkerHandle>();
  /** Workers being replaced: stopped on purpose, not restarted when they exit. */
  const retiring = new Set<WorkerHandle>();

  const configMessage = (applied: { config: ResolvedRelayConfig; serial: number }): ToWorker => ({
    kind: "nat64-relay:config",
    ...applied,
    observe: observer !== undefined,
  });

  function waitFor(worker: WorkerHandle): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.offMessage(onMessage);
        worker.offExit(onExit);
        reject(new Error("a DNS worker did not answer in time"));
      }, WORKER_DEADLINE_MS);
      const onMessage = (message: unknown) => {
        if (!isOurs(message)) return;
        const typed = message as FromWorker;
        if (typed.kind === "nat64-relay:applied" || typed.kind === "nat64-relay:failed") {
          clearTimeout(timer);
          worker.offMessage(onMessage);
          worker.offExit(onExit);
          if (typed.kind === "nat64-relay:applied") resolve();
          else reject(new Error(typed.message));
        }
      };
      const onExit = () => {
        clearTimeout(timer);
        worker.offMessage(onMessage);
        reject(new WorkerExited("a DNS worker exited while applying the config"));
      };
      worker.onMessage(onMessage);
      worker.onceExit(onExit);
    });
  }

  function start(limits: HeapLimits, run: WorkerRun = restarts.run()): WorkerHandle {
    const worker = spawn(limits);
    workers.add(worker);
    worker.onMessage((message: unknown) => {
      if (!isOurs(message)) return;
      const typed = message as FromWorker;
      if (typed.kind === "nat64-relay:metrics-snapshot") {
        reported.set(worker, typed.snapshot);
        if (typed.id !== undefined) metricsWaiters.get(typed.id)?.(typed.snapshot);
        return;
      }
      if (typed.kind !== "nat64-relay:observe") return;
      const { id, ipv4s, ttl } = typed;
      Promise.resolve(observer?.(ipv4s, ttl))
        .catch((error: unknown) => logger.error({ err: error }, "synthesis observer failed"))
        .finally(() => {
          if (worker.connected()) worker.send({ kind: "nat64-relay:observed", id });
        });
    });
    worker.onceExit((code, signal) => {
      workers.delete(worker);
      reported.delete(worker);
      if (stopping || retiring.delete(worker)) return;
      const next = restarts.schedule(run, (failures) => restart(worker, failures));
      // One line per death; the backoff bounds how often that is.
      logger.error(
        { code, signal, restartInMs: next.delayMs, deathsInARow: next.failures },
        `a DNS worker died; starting another in ${next.delayMs} ms`,
      );
    });
    return worker;
  }

  /** Starts the replacement of a worker that died, with the config and limits applied now. */
  function restart(dead: WorkerHandle, failures: number): void {
    if (stopping) return;
    const limits = current ? heapLimits(current.config.cacheBytes) : dead.limits;
    const replacement = start(limits, restarts.run(failures));
    if (!current) return;
    replacement.send(configMessage(current));
    waitFor(replacement).catch((error: unknown) => {
      // Its death is logged (with the next wait) by its own exit.
      if (!(error instanceof WorkerExited)) {
        logger.error({ err: error }, "the replacement DNS worker failed");
      }
    });
  }

  function stop(worker: WorkerHandle): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => worker.kill(), WORKER_DEADLINE_MS);
      worker.onceExit(() => {
        clearTimeout(timer);
        resolve();
      });
      if (worker.connected()) worker.send({ kind: "nat64-relay:stop" });
      else worker.kill();
    });
  }

  /** Asks every worker for its numbers (1 s at most) and renders their sum. */
  async function workerMetrics(): Promise<string> {
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
            if (worker.connected()) worker.send({ kind: "nat64-relay:metrics", id });
          }),
      ),
    );
    const dns = renderMetrics(sumSnapshots(snapshots.filter((snapshot) => snapshot !== undefined)));
    return dns + ((await options.extraMetrics?.()) ?? "");
  }

  /** Opens the new metrics address before closing the old one, so a bad address changes nothing. */
  async function moveMetrics(listen: HostPort | undefined): Promise<void> {
    const key = (address?: HostPort) => (address ? formatHostPort(address) : undefined);
    if (key(listen) === key(metricsAt) && (metricsServer !== undefined) === (listen !== undefined))
      return;
    const opened = listen ? await MetricsHttpServer.open(listen, workerMetrics) : undefined;
    const old = metricsServer;
    metricsServer = opened;
    metricsAt = listen;
    await old?.close();
  }

  /** New workers with new limits: each listens before the one it replaces stops. */
  async function replaceAll(
    limits: HeapLimits,
    applied: { config: ResolvedRelayConfig; serial: number },
  ): Promise<void> {
    for (const old of [...workers]) {
      const replacement = start(limits);
      replacement.send(configMessage(applied));
      try {
        await waitFor(replacement);
      } catch (error) {
        retiring.add(replacement);
        await stop(replacement);
        throw error;
      }
      retiring.add(old);
      await stop(old);
    }
  }

  async function apply(config: ResolvedRelayConfig, serial: number): Promise<void> {
    const previous = current;
    const next = { config, serial };
    current = next;
    const limits = heapLimits(config.cacheBytes);
    try {
      if ([...workers].some((worker) => !sameLimits(worker.limits, limits))) {
        logger.info(
          { oldSpaceMb: limits.oldSpaceMb },
          "dns: cacheBytes changed the heap limits; replacing the DNS workers",
        );
        await replaceAll(limits, next);
      } else {
        await Promise.all(
          [...workers].map((worker) => {
            const applied = waitFor(worker);
            worker.send(configMessage(next));
            return applied;
          }),
        );
      }
      await moveMetrics(dnsSettingsFrom(config, serial).metricsListen);
    } catch (error) {
      current = previous;
      throw error;
    }
  }

  async function close(): Promise<void> {
    stopping = true;
    restarts.cancelAll();
    await metricsServer?.close();
    metricsServer = undefined;
    await Promise.all([...workers].map(stop));
  }

  const limits = heapLimits(options.cacheBytes);
  for (let index = 0; index < options.count; index++) start(limits);
  return {
    apply,
    snapshot: () => sumSnapshots([...reported.values()]),
    close,
  };
}

/** The worker went away before it answered. */
class WorkerExited extends Error {}

export function isDnsWorker(env: NodeJS.ProcessEnv): boolean {
  return cluster.isWorker && env.NAT64_RELAY_DNS_WORKER === "1";
}
