// The command the systemd unit starts nat64-relay with. Pure.
import { isAbsolute, relative } from "node:path";

export interface RunningCli {
  /** The node running this process (process.execPath). */
  readonly execPath: string;
  /** Absolute path of this package's bin/nat64-relay.js (symlinks resolved). */
  readonly binScript: string;
  /** The package's root directory (the checkout, or the installed package under node_modules). */
  readonly packageRoot: string;
}

const isInside = (path: string, dir: string) => {
  const rest = relative(dir, path);
  return rest !== "" && !rest.startsWith("..") && !isAbsolute(rest);
};

/**
 * `node <installed bin>` with the node that runs this install (absolute: systemd's PATH may not
 * find an nvm or /opt node). A node inside the package itself is a checkout's Node 24 bootstrap
 * (scripts/node24.sh): that copy is an implementation detail of the checkout, so the unit runs the
 * bootstrap script, which execs (same PID, signals reach node) a suitable node on each start.
 */
export function unitLauncher(cli: RunningCli): readonly string[] {
  if (isInside(cli.execPath, cli.packageRoot)) {
    return ["/bin/sh", `${cli.packageRoot}/scripts/node24.sh`, "node", cli.binScript];
  }
  return [cli.execPath, cli.binScript];
}
