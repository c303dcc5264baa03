// `nat64-relay agent run` (the config file as the source) or `agent run --api URL --token-file F`
// (managed: the control API as the source): build the real dependencies from the options and
// the environment (both validated at the edge), hand over to runAgent or runManagedAgent.
import { pino } from "pino";
import type { Values } from "../cli.ts";
import { usageError } from "../cli.ts";
import { FileConfigSource } from "../config-source/file-source.ts";
import type { NodeFacts } from "../config-source/resolve-config.ts";
import { isDnsWorker } from "../dns/dns-workers.ts";
import type { AgentEnv } from "../env.ts";
import { realExec } from "../host/exec.ts";
import { RealNftables } from "../host/nftables.ts";
import { RealTailscaleCli, type TailscaleCli } from "../host/tailscale-cli.ts";
import { deferredDataPlane } from "../nat64/deferred-data-plane.ts";
import { NFT_FAMILY, NFT_TABLE } from "../nat64/nft-ruleset.ts";
import { runAgent } from "../run.ts";
import { loadOrCreatePrefix } from "../state/prefix-store.ts";
import { decideManaged } from "./managed-options.ts";
import { commonOptions } from "./options.ts";

export function workersOption(text: string | boolean | undefined): number {
  if (text === undefined) return 1;
  const workers = Number(text);
  if (typeof text !== "string" || !/^\d+$/.test(text) || workers < 1 || workers > 64) {
    throw usageError(`--workers must be a whole number from 1 to 64, got "${String(text)}"`);
  }
  return workers;
}

/** What `agent run` asks this node for: a generated-and-kept prefix, the Tailscale IPs. */
export function runNodeFacts(
  stateDir: string,
  tailscale: TailscaleCli,
  onGenerated: (prefix: string) => void,
): NodeFacts {
  return {
    requireListen: true,
    prefix: async () => {
      const kept = await loadOrCreatePrefix(stateDir);
      if (kept.created) onGenerated(kept.prefix);
      return kept.prefix;
    },
    tailscaleIps: async () => ((await tailscale.available()) ? tailscale.ips() : undefined),
  };
}

export async function runCommand(values: Values, env: AgentEnv): Promise<number> {
  // A DNS worker must listen for the primary's config before anything asynchronous runs.
  if (isDnsWorker(process.env)) {
    const workerLogger = pino({ name: "nat64-relay-agent", level: env.NAT64_RELAY_LOG_LEVEL });
    const { processPort, runDnsWorker } = await import("../dns/dns-worker.ts");
    // SIGTERM/SIGINT reach the whole process group; the primary coordinates the stop.
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => {});
    return runDnsWorker(processPort, workerLogger.child({ worker: process.pid }));
  }
  const workers = workersOption(values.workers);
  const common = commonOptions(values, env);
  const managed = await decideManaged({
    configPath: common.configPath,
    configGiven: typeof values.config === "string",
    values,
    etcDir: common.paths.etcDir,
  });
  if (managed.kind === "error") throw usageError(managed.message);
  const local = managed.kind === "managed" ? managed.options : undefined;
  // Managed mode's local file may name the state directory; --state-dir still wins.
  const options =
    local?.stateDir && typeof values["state-dir"] !== "string"
      ? commonOptions({ ...values, "state-dir": local.stateDir }, env)
      : common;
  const level =
    env.NAT64_RELAY_LOG_LEVEL !== "info" ? env.NAT64_RELAY_LOG_LEVEL : (local?.logLevel ?? "info");
  const logger = pino({ name: "nat64-relay-agent", level });
  const tailscaleBinary = options.tailscaleBinary ?? "tailscale";
  const tailscale = new RealTailscaleCli(tailscaleBinary);
  const stateDir = options.paths.stateDir;
  const deps = {
    node: runNodeFacts(stateDir, tailscale, (prefix) =>
      logger.info({ prefix, stateDir }, "generated a NAT64 prefix and kept it"),
    ),
    logger,
    workers,
    dataPlane: deferredDataPlane({
      root: options.paths.root,
      stateDir,
      tailscaleBinary,
      ...(env.NAT64_RELAY_HEALTH_INTERVAL_MS === undefined
        ? {}
        : { healthIntervalMs: env.NAT64_RELAY_HEALTH_INTERVAL_MS }),
      logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    }),
  };
  if (local) {
    for (const warning of local.warnings) logger.warn(warning);
    const nft = new RealNftables(realExec);
    // Loaded only in managed mode: the file-config agent's start-up does not wait for it.
    const { runManagedAgent } = await import("../managed/run-managed.ts");
    return runManagedAgent({
      ...deps,
      stateDir,
      tailscale,
      apiUrl: local.apiUrl,
      token: local.token,
      localKeys: local.localKeys,
      nat64Counters: async () =>
        (await nft.table(NFT_FAMILY, NFT_TABLE)) ? nft.counters(NFT_FAMILY, NFT_TABLE) : {},
    });
  }
  return runAgent({
    ...deps,
    source: new FileConfigSource({
      path: options.configPath,
      onWatchError: (error) =>
        logger.warn({ err: error }, "cannot watch the config file; SIGHUP still reloads"),
    }),
  });
}
