// `nat64-relay agent install`: systemd unit (after tailscaled, Restart=always), config under
// /etc/nat64-relay/, state under /var/lib/nat64-relay/.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { realExec } from "../host/exec.ts";
import { OfflineSystemd, RealSystemd, type Systemd } from "../host/systemd.ts";
import { installAgent } from "../install/install.ts";
import { unitLauncher } from "../install/launcher.ts";
import type { CommonOptions } from "./options.ts";

export function systemdFor(root: string): Systemd {
  return root === "/" ? new RealSystemd(realExec) : new OfflineSystemd(root);
}

// src/relay-agent/commands/ in a checkout, dist/relay-agent/commands/ in the installed package.
const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
const CLI_SCRIPT = `${PACKAGE_ROOT}/bin/nat64-relay.js`;

export async function installCommand(
  options: CommonOptions,
  flags: { start: boolean },
  systemd: Systemd = systemdFor(options.paths.root),
): Promise<number> {
  try {
    const report = await installAgent({
      paths: options.paths,
      systemd,
      sourceConfig: options.configPath,
      launcher: unitLauncher({
        execPath: realpathSync(process.execPath),
        binScript: realpathSync(CLI_SCRIPT),
        packageRoot: realpathSync(PACKAGE_ROOT),
      }),
      start: flags.start && options.paths.root === "/",
    });
    for (const line of report.done) console.log(`✔ ${line}`);
    for (const line of report.kept) console.warn(`warning: ${line}`);
    console.log("installed; `nat64-relay agent uninstall` removes it again.");
    return 0;
  } catch (error) {
    console.error(`install failed: ${(error as Error).message}`);
    return 1;
  }
}
