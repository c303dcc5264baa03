// Options shared by the data-plane subcommands, read once at the CLI edge.
import {
  type ResolvedRelayConfig,
  resolveRelayConfig,
} from "../../core/config/resolved-relay-config.ts";
import { formatProblems } from "../../core/errors.ts";
import { loadRelayConfigFile } from "../config-file.ts";
import { type HostPaths, hostPaths } from "../host/paths.ts";

export interface CommonOptions {
  readonly configPath: string;
  readonly paths: HostPaths;
  readonly tailscaleBinary?: string;
}

/** `--root DIR` (or NAT64_RELAY_ROOT): where /etc and /var/lib live; tests use a temp dir. */
export function commonOptions(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  defaultConfigPath: string,
): CommonOptions {
  const root = typeof values.root === "string" ? values.root : (env.NAT64_RELAY_ROOT ?? "/");
  const tailscale =
    typeof values.tailscale === "string" ? values.tailscale : env.NAT64_RELAY_TAILSCALE;
  return {
    configPath: typeof values.config === "string" ? values.config : defaultConfigPath,
    paths: hostPaths(root),
    ...(tailscale ? { tailscaleBinary: tailscale } : {}),
  };
}

export type LoadedConfig =
  | { ok: true; config: ResolvedRelayConfig }
  | { ok: false; message: string };

/**
 * Loads and resolves the config for the data plane. The prefix must be known: from the file,
 * or the one `agent run` generated and kept in the state directory.
 */
export async function loadResolvedConfig(
  options: CommonOptions,
  node: { generatedPrefix?: string; tailscaleIps?: readonly string[] } = {},
): Promise<LoadedConfig> {
  const loaded = await loadRelayConfigFile(options.configPath);
  if (!loaded.ok) {
    return {
      ok: false,
      message: `${options.configPath} is not a valid relay config:\n${formatProblems(loaded.problems)}`,
    };
  }
  const generatedPrefix = loaded.config.prefix ?? node.generatedPrefix;
  if (!generatedPrefix) {
    return {
      ok: false,
      message: `${options.configPath} has no prefix and none was generated yet: set prefix, or start \`agent run\` once (it generates one and keeps it)`,
    };
  }
  return {
    ok: true,
    config: resolveRelayConfig(loaded.config, {
      generatedPrefix,
      tailscaleIps: node.tailscaleIps ?? [],
    }),
  };
}
