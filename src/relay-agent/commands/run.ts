// `nat64-relay agent run --config FILE [--state-dir DIR]` (standalone) or
// `agent run --api URL --token-file F` (managed): parse the options at the edge, build the real
// dependencies, hand over to runAgent or runManagedAgent.
import { join } from "node:path";
import { pino } from "pino";
import { loadRelayConfigFile } from "../config-file.ts";
import { isDnsWorker, runDnsWorker } from "../dns/cluster.ts";
import { hasHeapFlags, heapFlags } from "../dns/heap.ts";
import { realExec } from "../host/exec.ts";
import { RealNftables } from "../host/nftables.ts";
import { hostPaths } from "../host/paths.ts";
import { RealTailscaleCli } from "../host/tailscale-cli.ts";
import { runManagedAgent } from "../managed/run-managed.ts";
import { createAgentDataPlane } from "../nat64/agent-data-plane.ts";
import { NFT_FAMILY, NFT_TABLE } from "../nat64/nft-ruleset.ts";
import { runAgent } from "../run.ts";
import { DEFAULT_STATE_DIR } from "../state/prefix-store.ts";
import { decideManaged } from "./managed-options.ts";

export interface RunCommandOptions {
  readonly configPath: string;
  readonly configGiven?: boolean;
  readonly values: Record<string, string | boolean | undefined>;
  readonly env: NodeJS.ProcessEnv;
}

export async function runCommand({
  configPath,
  configGiven = false,
  values,
  env,
}: RunCommandOptions): Promise<number> {
  const root = typeof values.root === "string" ? values.root : env.NAT64_RELAY_ROOT;
  // A DNS worker must listen for the primary's config before anything asynchronous runs.
  if (isDnsWorker(env)) {
    const level = env.NAT64_RELAY_LOG_LEVEL ?? "info";
    return runDnsWorker(pino({ name: "nat64-relay-agent", level }).child({ worker: process.pid }));
  }
  const managed = await decideManaged({
    configPath,
    configGiven,
    values,
    etcDir: hostPaths(root ?? "/").etcDir,
  });
  if (managed.kind === "error") {
    console.error(`nat64-relay agent run: ${managed.message}`);
    return 2;
  }
  const local = managed.kind === "managed" ? managed.options : undefined;
  const stateDir =
    typeof values["state-dir"] === "string"
      ? values["state-dir"]
      : (local?.stateDir ?? (root ? join(root, "var/lib/nat64-relay") : DEFAULT_STATE_DIR));
  const tailscaleBinary =
    typeof values.tailscale === "string"
      ? values.tailscale
      : (env.NAT64_RELAY_TAILSCALE ?? "tailscale");
  const logger = pino({
    name: "nat64-relay-agent",
    level: env.NAT64_RELAY_LOG_LEVEL ?? local?.logLevel ?? "info",
  });
  const workers = typeof values.workers === "string" ? Number(values.workers) : 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    console.error(
      `nat64-relay agent run: --workers must be a whole number from 1 to 64, got "${values.workers}"`,
    );
    return 2;
  }
  if (workers === 1 && !local) await restartWithHeapFlags(configPath, env);
  const deps = {
    configPath,
    stateDir,
    tailscale: new RealTailscaleCli(tailscaleBinary),
    logger,
    workers,
    // NAT64 data plane (issue 4): tayga/jool per `engine`; none: DNS only.
    createDataPlane: (config: Parameters<typeof createAgentDataPlane>[0]) =>
      createAgentDataPlane(config, {
        root: root ?? "/",
        tailscaleBinary,
        logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
      }),
  };
  if (!local) return runAgent(deps);
  for (const warning of local.warnings) logger.warn(warning);
  const nft = new RealNftables(realExec);
  return runManagedAgent({
    ...deps,
    apiUrl: local.apiUrl,
    token: local.token,
    localKeys: local.localKeys,
    nat64Counters: async () =>
      (await nft.table(NFT_FAMILY, NFT_TABLE)) ? nft.counters(NFT_FAMILY, NFT_TABLE) : {},
  });
}

/**
 * Replaces this process (same PID, so systemd keeps tracking it) with one that has the heap
 * limits for the configured cache size. Skipped when limits are already set, when the file is
 * invalid (runAgent reports it), or with NAT64_RELAY_HEAP_FLAGS=off.
 */
async function restartWithHeapFlags(configPath: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (env.NAT64_RELAY_HEAP_FLAGS === "off" || typeof process.execve !== "function") return;
  if (hasHeapFlags(process.execArgv, env.NODE_OPTIONS)) return;
  const loaded = await loadRelayConfigFile(configPath);
  if (!loaded.ok) return;
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...process.execArgv,
      ...heapFlags(loaded.config.cacheSize),
      ...process.argv.slice(1),
    ],
    env,
  );
}
