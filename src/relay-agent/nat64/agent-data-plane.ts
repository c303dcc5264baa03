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
}

/** undefined for `engine: none`: the agent is then only a DNS server. */
export function createAgentDataPlane(
  config: ResolvedRelayConfig,
  options: AgentDataPlaneOptions,
): Nat64DataPlane | undefined {
  if (config.engine === "none") return undefined;
  const { logger } = options;
  return new Nat64DataPlane({
    host: realDataPlaneHost(
      options.tailscaleBinary ? { tailscaleBinary: options.tailscaleBinary } : {},
    ),
    paths: hostPaths(options.root),
    log: (message) =>
      message.startsWith("warning: ") ? logger.warn(message.slice(9)) : logger.info(message),
  });
}
