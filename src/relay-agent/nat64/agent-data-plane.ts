// Builds the data plane `agent run` drives, from the real host systems. It exists for every
// engine, none included, so a reload can switch engines both ways.

import { HEALTH_INTERVAL_ENV, parseAgentEnv } from "../env.ts";
import { hostPaths } from "../host/paths.ts";
import { realDataPlaneHost } from "../host/real-host.ts";
import { Nat64DataPlane } from "./runtime.ts";

export interface AgentDataPlaneOptions {
  /** Prefix for /etc and /var/lib ("/" on a real host). */
  readonly root: string;
  /** The state directory when it is not under root (`agent run --state-dir`). */
  readonly stateDir?: string;
  readonly tailscaleBinary?: string;
  readonly logger: { info(message: string): void; warn(message: string): void };
  /** How often the data plane is checked and repaired (ms); 0: never; default 2000. */
  readonly healthIntervalMs?: number;
}

export { HEALTH_INTERVAL_ENV };

/**
 * `NAT64_RELAY_HEALTH_INTERVAL_MS`: how often the agent checks its data plane and repairs it
 * (default 2000 ms; 0 turns self-repair off, as the doctor e2e lab does so injected faults stand).
 * Read once, at the CLI edge, with the other variables (env.ts).
 */
export function healthIntervalFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  return parseAgentEnv({ [HEALTH_INTERVAL_ENV]: env[HEALTH_INTERVAL_ENV] })[HEALTH_INTERVAL_ENV];
}

export function createAgentDataPlane(options: AgentDataPlaneOptions): Nat64DataPlane {
  const { logger } = options;
  return new Nat64DataPlane({
    ...(options.healthIntervalMs === undefined
      ? {}
      : { healthIntervalMs: options.healthIntervalMs }),
    host: realDataPlaneHost(
      options.tailscaleBinary ? { tailscaleBinary: options.tailscaleBinary } : {},
    ),
    paths: hostPaths(options.root, options.stateDir),
    log: (message) =>
      message.startsWith("warning: ") ? logger.warn(message.slice(9)) : logger.info(message),
  });
}
