// Builds the data plane `agent run` plugs into its hook, from the real host systems.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import { hostPaths } from "../host/paths.ts";
import { realDataPlaneHost } from "../host/real-host.ts";
import { Nat64DataPlane } from "./runtime.ts";

export interface AgentDataPlaneOptions {
  /** Prefix for /etc and /var/lib ("/" on a real host). */
  readonly root: string;
  readonly tailscaleBinary?: string;
  readonly logger: { info(message: string): void; warn(message: string): void };
  /** Where the lab-only knobs are read (process.env when not given). */
  readonly env?: NodeJS.ProcessEnv;
}

export const HEALTH_INTERVAL_ENV = "NAT64_RELAY_HEALTH_INTERVAL_MS";

/**
 * `NAT64_RELAY_HEALTH_INTERVAL_MS`: how often the agent checks its data plane and repairs it
 * (default 2000 ms; 0 turns self-repair off, as the doctor e2e lab does so injected faults stand).
 * Read once, when the data plane is built; a bad value stops the start with its exact text.
 */
export function healthIntervalFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env[HEALTH_INTERVAL_ENV];
  if (text === undefined || text === "") return undefined;
  if (!/^\d+$/.test(text)) {
    throw new Error(
      `${HEALTH_INTERVAL_ENV} must be a number of milliseconds (0: off), got "${text}"`,
    );
  }
  return Number(text);
}

/** undefined for `engine: none`: the agent is then only a DNS server. */
export function createAgentDataPlane(
  config: ResolvedRelayConfig,
  options: AgentDataPlaneOptions,
): Nat64DataPlane | undefined {
  if (config.engine === "none") return undefined;
  const { logger } = options;
  const healthIntervalMs = healthIntervalFromEnv(options.env ?? process.env);
  return new Nat64DataPlane({
    ...(healthIntervalMs === undefined ? {} : { healthIntervalMs }),
    host: realDataPlaneHost(
      options.tailscaleBinary ? { tailscaleBinary: options.tailscaleBinary } : {},
    ),
    paths: hostPaths(options.root),
    log: (message) =>
      message.startsWith("warning: ") ? logger.warn(message.slice(9)) : logger.info(message),
  });
}
