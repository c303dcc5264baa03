// `nat64-relay agent run` (the config file as the source) or `agent run --api URL --token-file F`
// (managed: the control API as the source): build the real dependencies from the options and
// the environment (both validated at the edge), hand over to runAgent or runManagedAgent.
import { pino } from "pino";
import type { Values } from "../cli.ts";
import { usageError } from "../cli.ts";
import { FileConfigSource, readConfigFile } from "../config-source/file-source.ts";
import { type NodeFacts, validateCandidate } from "../config-source/resolve-config.ts";
import { isDnsWorker, runDnsWorker } from "../dns/cluster.ts";
import { hasHeapFlags, heapFlags } from "../dns/heap.ts";
import type { AgentEnv } from "../env.ts";
import { realExec } from "../host/exec.ts";
import { RealNftables } from "../host/nftables.ts";
import { RealTailscaleCli, type TailscaleCli } from "../host/tailscale-cli.ts";
import { runManagedAgent } from "../managed/run-managed.ts";
import { createAgentDataPlane } from "../nat64/agent-data-plane.ts";
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
    return runDnsWorker(workerLogger.child({ worker: process.pid }));
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
  if (workers === 1 && !local) await restartWithHeapFlags(options.configPath);
  const tailscaleBinary = options.tailscaleBinary ?? "tailscale";
  const tailscale = new RealTailscaleCli(tailscaleBinary);
  const stateDir = options.paths.stateDir;
  const deps = {
    node: runNodeFacts(stateDir, tailscale, (prefix) =>
      logger.info({ prefix, stateDir }, "generated a NAT64 prefix and kept it"),
    ),
    logger,
    workers,
    dataPlane: createAgentDataPlane({
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

/**
 * Replaces this process (same PID, so systemd keeps tracking it) with one that has the heap
 * limits for the configured cache size: without an old-space cap V8 lets RSS grow far past the
 * live data. Skipped when limits are already set (by the operator, or the unit's ExecStart), or
 * when the file is invalid (the pipeline reports it). It costs a second start-up (most of the
 * time to the first answer, see bench/agent/startup.ts) and cannot follow a cacheSize that
 * arrives from the API after start: the open item of issue 8, part 4.
 */
async function restartWithHeapFlags(configPath: string): Promise<void> {
  if (typeof process.execve !== "function") return;
  if (hasHeapFlags(process.execArgv, process.env.NODE_OPTIONS)) return;
  let cacheSize: number;
  try {
    cacheSize = validateCandidate(await readConfigFile(configPath)).config.cacheSize;
  } catch {
    return;
  }
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...heapFlags(cacheSize), ...process.argv.slice(1)],
    process.env,
  );
}
