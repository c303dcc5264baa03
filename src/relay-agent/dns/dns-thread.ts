// Entry of the DNS worker thread (dns/dns-workers.ts starts it). The compile cache is turned on
// before the worker's modules load, as bin/nat64-relay.js does for the main thread, so a thread
// (re-)created for new heap limits starts from compiled code.
import { enableCompileCache } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { DnsThreadData } from "./worker-protocol.ts";

const cacheDir = process.env.NODE_COMPILE_CACHE;
if (cacheDir) enableCompileCache(cacheDir);
const data = workerData as DnsThreadData;
const primary = parentPort;
if (primary) {
  const [{ pino }, { runDnsWorker }] = await Promise.all([
    import("pino"),
    import("./dns-worker.ts"),
  ]);
  const logger = pino({ level: data.logLevel }).child(data.bindings);
  await runDnsWorker(
    {
      onMessage: (listener) => primary.on("message", listener),
      send: (message) => primary.postMessage(message),
      close: () => primary.close(),
    },
    logger,
  );
}
