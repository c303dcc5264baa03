// `nat64-relay agent run`: build the real dependencies from the options and the environment
// (both validated at the edge), hand over to runAgent.
import { pino } from "pino";
import type { Values } from "../cli.ts";
import { usageError } from "../cli.ts";
import { FileConfigSource } from "../config-source/file-source.ts";
import type { NodeFacts } from "../config-source/resolve-config.ts";
import { isDnsWorker, runDnsWorker } from "../dns/cluster.ts";
import type { AgentEnv } from "../env.ts";
import { RealTailscaleCli, type TailscaleCli } from "../host/tailscale-cli.ts";
import { createAgentDataPlane } from "../nat64/agent-data-plane.ts";
import { runAgent } from "../run.ts";
import { loadOrCreatePrefix } from "../state/prefix-store.ts";
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
  const options = commonOptions(values, env);
  const logger = pino({ name: "nat64-relay-agent", level: env.NAT64_RELAY_LOG_LEVEL });
  if (isDnsWorker(process.env)) return runDnsWorker(logger.child({ worker: process.pid }));
  const workers = workersOption(values.workers);
  const tailscaleBinary = options.tailscaleBinary ?? "tailscale";
  const stateDir = options.paths.stateDir;
  return runAgent({
    source: new FileConfigSource({
      path: options.configPath,
      onWatchError: (error) =>
        logger.warn({ err: error }, "cannot watch the config file; SIGHUP still reloads"),
    }),
    node: runNodeFacts(stateDir, new RealTailscaleCli(tailscaleBinary), (prefix) =>
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
  });
}
