// `agent doctor` on a managed node (the config file names an API): the API link checks, and the
// config to check the host against is the one the agent runs, its last-known-good copy with
// the local keys on top.
import { parseRelayConfigValue, resolveRelayConfig } from "../../core/index.ts";
import { readLastKnownGood } from "../config-source/last-known-good.ts";
import { apiLinkChecks } from "../doctor/api-link-checks.ts";
import type { CheckResult } from "../doctor/check.ts";
import { HttpAgentApi } from "../managed/api-link.ts";
import { decideManaged } from "./managed-options.ts";
import type { CommonOptions, LoadedConfig } from "./options.ts";

export async function managedDoctorConfig(
  options: CommonOptions,
  node: { generatedPrefix?: string; tailscaleIps: readonly string[] },
): Promise<{ loaded: LoadedConfig; linkChecks: CheckResult[] } | undefined> {
  const decision = await decideManaged({
    configPath: options.configPath,
    configGiven: true,
    values: {},
    etcDir: options.paths.etcDir,
  });
  if (decision.kind === "standalone") return undefined;
  if (decision.kind === "error")
    return { loaded: { ok: false, message: decision.message }, linkChecks: [] };
  const { apiUrl, token, localKeys } = decision.options;
  const stateDir = decision.options.stateDir ?? options.paths.stateDir;
  const linkChecks = await apiLinkChecks(new HttpAgentApi({ url: apiUrl, token }), stateDir);
  const saved = await readLastKnownGood(stateDir, apiUrl);
  if (saved.kind !== "found") {
    return {
      loaded: {
        ok: false,
        message: `no config from ${apiUrl} applied on this node yet (${saved.kind === "absent" ? "no saved copy" : saved.reason})`,
      },
      linkChecks,
    };
  }
  const parsed = parseRelayConfigValue({ ...saved.copy.config, ...localKeys });
  if (!parsed.ok) {
    return {
      loaded: {
        ok: false,
        message: `the saved config is not valid: ${parsed.problems[0]?.message}`,
      },
      linkChecks,
    };
  }
  const prefix = parsed.config.prefix ?? node.generatedPrefix ?? "";
  return {
    loaded: {
      ok: true,
      config: resolveRelayConfig(parsed.config, {
        generatedPrefix: prefix,
        tailscaleIps: node.tailscaleIps,
      }),
    },
    linkChecks,
  };
}
