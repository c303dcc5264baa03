// A RelayConfig with every default that depends on the node filled in.
import type { RelayConfig } from "./relay-config.ts";

export interface ResolvedRelayConfig extends RelayConfig {
  readonly prefix: string;
  readonly egressInterfaces: string[];
  readonly listen: string[];
}

/**
 * Fills the node-dependent defaults: a prefix generated once and kept by the agent when the
 * file has none, egress = the overlay interface, listen = this node's Tailscale IPs on port 53.
 */
export function resolveRelayConfig(
  config: RelayConfig,
  node: { generatedPrefix: string; tailscaleIps: readonly string[] },
): ResolvedRelayConfig {
  return {
    ...config,
    prefix: config.prefix ?? node.generatedPrefix,
    egressInterfaces: config.egressInterfaces ?? [config.overlayInterface],
    listen:
      config.listen ??
      node.tailscaleIps.map((ip) => (ip.includes(":") ? `[${ip}]:53` : `${ip}:53`)),
  };
}
