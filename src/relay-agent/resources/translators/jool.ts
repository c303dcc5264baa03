// jool: kernel NAT64 in netfilter mode; no tun and no routes of its own, its own NAPT from the
// node's addresses. It needs the kernel module: without it the agent runs tayga.
import { JOOL_POOL4_PORTS, joolSetupCommands } from "../../nat64/jool.ts";
import { joolRuleset } from "../../nat64/jool-ruleset.ts";
import type { DataPlaneHost } from "../data-plane-host.ts";
import type { Translator } from "./translator.ts";

/** True when the jool kernel module loads (or is loaded already). */
export function modprobeJool(host: DataPlaneHost): Promise<boolean> {
  return host.exec("modprobe", ["jool"]).then(
    () => true,
    () => false,
  );
}

export const joolTranslator: Translator = {
  engine: "jool",
  desired: (config) => ({ routes: [], jool: { commands: joolSetupCommands(config.prefix) } }),
  guardSide: "v6",
  ruleset: joolRuleset,
  ownNapt: { name: "Jool", ports: JOOL_POOL4_PORTS },
  requires: { probe: modprobeJool, failure: "`modprobe jool` failed", fallback: "tayga" },
};
