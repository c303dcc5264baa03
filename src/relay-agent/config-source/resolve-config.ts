// From a candidate to the config the agent applies: validate it (the one schema, key paths in
// every problem), then fill the defaults that depend on this node. Every subcommand (run,
// apply, doctor, check-config) goes through these two functions.
import {
  parseRelayConfigValue,
  type RelayConfig,
  type ResolvedRelayConfig,
  resolveRelayConfig,
} from "../../core/index.ts";
import { AgentError } from "../errors.ts";
import type { ConfigCandidate } from "./config-source.ts";

export type Validated = { readonly config: RelayConfig; readonly warnings: readonly string[] };

/** Throws AgentError("invalid_config") with every problem's key path. */
export function validateCandidate(candidate: ConfigCandidate): Validated {
  if (!candidate.ok) {
    throw new AgentError(
      "invalid_config",
      `${candidate.origin} is not a valid relay config`,
      candidate.problems,
    );
  }
  const parsed = parseRelayConfigValue(candidate.document);
  if (!parsed.ok) {
    throw new AgentError(
      "invalid_config",
      `${candidate.origin} is not a valid relay config`,
      parsed.problems,
    );
  }
  return { config: parsed.config, warnings: parsed.warnings.map((warning) => warning.message) };
}

/** What this node knows, asked only for the keys the config leaves out. */
export interface NodeFacts {
  /**
   * The prefix when the config has none: `agent run` generates one and keeps it; the other
   * subcommands only read the kept one (undefined: none yet).
   */
  readonly prefix: () => Promise<string | undefined>;
  /** This node's Tailscale IPs (undefined: the tailscale CLI is not available). */
  readonly tailscaleIps: () => Promise<readonly string[] | undefined>;
  /** `agent run` needs addresses to listen on; apply and doctor do without. */
  readonly requireListen: boolean;
}

export async function resolveNodeDefaults(
  config: RelayConfig,
  origin: string,
  node: NodeFacts,
): Promise<ResolvedRelayConfig> {
  const generatedPrefix = config.prefix ?? (await node.prefix());
  if (generatedPrefix === undefined) {
    throw new AgentError(
      "node_defaults",
      `${origin} has no prefix and none was generated yet: set prefix, or start \`agent run\` once (it generates one and keeps it)`,
    );
  }
  let tailscaleIps: readonly string[] = [];
  if (config.listen === undefined) {
    const ips = await node.tailscaleIps();
    if (node.requireListen && ips === undefined) {
      throw new AgentError(
        "node_defaults",
        `${origin} has no listen addresses and the tailscale CLI is not available to find this node's Tailscale IPs: install tailscale, or set listen (e.g. listen: ["127.0.0.1:5353"])`,
      );
    }
    if (node.requireListen && !ips?.length) {
      throw new AgentError(
        "node_defaults",
        "`tailscale ip` printed no addresses (is tailscale up?): bring it up, or set listen",
      );
    }
    tailscaleIps = ips ?? [];
  }
  return resolveRelayConfig(config, { generatedPrefix, tailscaleIps });
}
