// Options shared by the data-plane subcommands, read once at the CLI edge.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import { DEFAULT_CONFIG_PATH, type Values } from "../cli.ts";
import { readConfigFile } from "../config-source/file-source.ts";
import {
  type NodeFacts,
  resolveNodeDefaults,
  validateCandidate,
} from "../config-source/resolve-config.ts";
import type { AgentEnv } from "../env.ts";
import { asAgentError, describeError } from "../errors.ts";
import { type HostPaths, hostPaths } from "../host/paths.ts";
import { defaultStateDir, type StateDirFacts, writableOrCreatable } from "./state-dir.ts";

export interface CommonOptions {
  readonly configPath: string;
  readonly paths: HostPaths;
  readonly tailscaleBinary?: string;
}

/**
 * `--root DIR` (or NAT64_RELAY_ROOT): where /etc and /var/lib live; tests use a temp dir.
 * `--state-dir DIR` overrides the state directory; without it, state-dir.ts picks one this user
 * can write.
 */
export function commonOptions(
  values: Values,
  env: Partial<AgentEnv>,
  facts: StateDirFacts = {
    uid: process.geteuid?.() ?? 0,
    writable: writableOrCreatable,
    ...(env.XDG_STATE_HOME ? { xdgStateHome: env.XDG_STATE_HOME } : {}),
    ...(env.HOME ? { home: env.HOME } : {}),
  },
): CommonOptions {
  const root = typeof values.root === "string" ? values.root : (env.NAT64_RELAY_ROOT ?? "/");
  const tailscale =
    typeof values.tailscale === "string" ? values.tailscale : env.NAT64_RELAY_TAILSCALE;
  const stateDir =
    typeof values["state-dir"] === "string" ? values["state-dir"] : defaultStateDir(root, facts);
  return {
    configPath: typeof values.config === "string" ? values.config : DEFAULT_CONFIG_PATH,
    paths: hostPaths(root, stateDir),
    ...(tailscale ? { tailscaleBinary: tailscale } : {}),
  };
}

export type LoadedConfig =
  | { ok: true; config: ResolvedRelayConfig }
  | { ok: false; message: string };

/**
 * Reads, validates and resolves the config file through the agent's one pipeline. The prefix
 * must be known: from the file, or the one `agent run` generated and kept.
 */
export async function loadResolvedConfig(
  options: CommonOptions,
  node: Partial<Pick<NodeFacts, "prefix" | "tailscaleIps">> = {},
): Promise<LoadedConfig> {
  try {
    const { config } = validateCandidate(await readConfigFile(options.configPath));
    const resolved = await resolveNodeDefaults(config, options.configPath, {
      prefix: node.prefix ?? (async () => undefined),
      tailscaleIps: node.tailscaleIps ?? (async () => []),
      requireListen: false,
    });
    return { ok: true, config: resolved };
  } catch (error) {
    return { ok: false, message: describeError(asAgentError(error)) };
  }
}
