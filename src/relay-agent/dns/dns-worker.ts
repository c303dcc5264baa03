// A DNS worker: a DnsServer on shared ports (SO_REUSEPORT) serving whatever config the primary
// sends. Runs in a worker thread (`agent run`: one thread whose heap limits follow cacheBytes)
// or in a worker process (`--workers N`); dns-thread.ts is the thread's entry.
import type { Logger } from "pino";
import type { SynthesisObserver } from "../data-plane.ts";
import { DnsServer } from "./dns-server.ts";
import { dnsSettingsFrom } from "./settings.ts";
import { type FromWorker, isOurs, SNAPSHOT_INTERVAL_MS, type ToWorker } from "./worker-protocol.ts";

/** How a worker talks to its primary: IPC for a process, the parent port for a thread. */
export interface PrimaryPort {
  onMessage(listener: (message: unknown) => void): void;
  send(message: FromWorker): void;
  /** Lets the worker end once its server is closed. */
  close(): void;
}

export const processPort: PrimaryPort = {
  onMessage: (listener) => process.on("message", listener),
  send: (message) => process.send?.(message),
  close: () => process.disconnect?.(),
};

/** Serves configs from the primary until told to stop; resolves with the exit code. */
export function runDnsWorker(port: PrimaryPort, logger: Logger): Promise<number> {
  let server: DnsServer | undefined;
  let nextId = 0;
  const pending = new Map<number, () => void>();
  const observer: SynthesisObserver = (ipv4s, ttl) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      port.send({ kind: "nat64-relay:observe", id, ipv4s: [...ipv4s], ttl });
    });
  const report = setInterval(() => {
    const snapshot = server?.metrics.snapshot();
    if (snapshot) port.send({ kind: "nat64-relay:metrics-snapshot", snapshot });
  }, SNAPSHOT_INTERVAL_MS);
  report.unref();
  let queue: Promise<unknown> = Promise.resolve();
  return new Promise((resolve) => {
    port.onMessage((message: unknown) => {
      if (!isOurs(message)) return;
      const typed = message as ToWorker;
      if (typed.kind === "nat64-relay:observed") {
        pending.get(typed.id)?.();
        pending.delete(typed.id);
        return;
      }
      if (typed.kind === "nat64-relay:metrics") {
        const snapshot = server?.metrics.snapshot();
        if (snapshot) port.send({ kind: "nat64-relay:metrics-snapshot", id: typed.id, snapshot });
        return;
      }
      queue = queue.then(async () => {
        if (typed.kind === "nat64-relay:stop") {
          clearInterval(report);
          await server?.close();
          port.close();
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
          port.send({ kind: "nat64-relay:applied" });
        } catch (error) {
          port.send({
            kind: "nat64-relay:failed",
            message: error instanceof Error ? error.message : String(error),
          });
        }
      });
    });
  });
}
