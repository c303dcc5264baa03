// `nat64-relay agent install`: systemd unit (after tailscaled, Restart=always), config under
// /etc/nat64-relay/, state under /var/lib/nat64-relay/.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { asAgentError, describeError } from "../errors.ts";
import { realExec } from "../host/exec.ts";
import { OfflineSystemd, RealSystemd, type Systemd } from "../host/systemd.ts";
import { installAgent } from "../install/install.ts";
import { unitLauncher } from "../install/launcher.ts";
import { readTokenFile } from "../managed/token-file.ts";
import type { CommonOptions } from "./options.ts";

export function systemdFor(root: string): Systemd {
  return root === "/" ? new RealSystemd(realExec) : new OfflineSystemd(root);
}

// src/relay-agent/commands/ in a checkout, dist/relay-agent/commands/ in the installed package.
const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
const CLI_SCRIPT = `${PACKAGE_ROOT}/bin/nat64-relay.js`;

export async function installCommand(
  options: CommonOptions,
  flags: {
    start: boolean;
    /** --config was given: copy it; else managed mode writes the local file itself. */
    configGiven?: boolean;
    api?: string;
    tokenFile?: string;
  },
  systemd: Systemd = systemdFor(options.paths.root),
): Promise<number> {
  let managed: { apiUrl: string; token: string } | undefined;
  if (flags.api !== undefined || flags.tokenFile !== undefined) {
    if (!flags.api || !/^https?:\/\/[^/]/.test(flags.api) || !flags.tokenFile) {
      console.error(
        "install: managed mode takes both --api URL (http:// or https://) and --token-file F (the relay's agent token)",
      );
      return 2;
    }
    const read = await readTokenFile(flags.tokenFile);
    if (!read.ok) {
      console.error(`install: ${read.reason}`);
      return 1;
    }
    managed = { apiUrl: flags.api.replace(/\/+$/, ""), token: read.token };
  }
  try {
    const report = await installAgent({
      paths: options.paths,
      systemd,
      ...(managed && !flags.configGiven ? {} : { sourceConfig: options.configPath }),
      ...(managed ? { managed } : {}),
      launcher: unitLauncher({
        execPath: realpathSync(process.execPath),
        binScript: realpathSync(CLI_SCRIPT),
        packageRoot: realpathSync(PACKAGE_ROOT),
      }),
      start: flags.start && options.paths.root === "/",
    });
    for (const line of report.done) console.log(`✔ ${line}`);
    for (const line of report.kept) console.warn(`warning: ${line}`);
    if (report.failed) {
      console.error(`install failed: ${report.failed}; run it again once that is fixed`);
      return 1;
    }
    console.log(
      report.done.length
        ? "installed; `nat64-relay agent uninstall` removes it again."
        : "already installed as asked: nothing to change.",
    );
    return 0;
  } catch (error) {
    console.error(`install failed: ${describeError(asAgentError(error))}`);
    return 1;
  }
}
