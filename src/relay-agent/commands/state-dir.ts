// Where the agent keeps its state when `--state-dir` is not given. Root (or anyone who may write
// there) uses /var/lib/nat64-relay under `--root`; a non-root user who cannot — a DNS-only
// `agent run` (engine: none) needs no privileges otherwise — gets a per-user directory, where the
// XDG Base Directory spec puts state: $XDG_STATE_HOME/nat64-relay, else ~/.local/state/nat64-relay.
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_STATE_DIR } from "../state/prefix-store.ts";

export interface StateDirFacts {
  /** The effective user id (process.geteuid). */
  readonly uid: number;
  readonly xdgStateHome?: string;
  readonly home?: string;
  /** May this user create or change files in `path` (it, or its nearest existing parent)? */
  readonly writable: (path: string) => boolean;
}

export function writableOrCreatable(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    try {
      accessSync(current, constants.F_OK);
    } catch {
      if (dirname(current) === current) return false;
      continue;
    }
    try {
      accessSync(current, constants.W_OK | constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
}

export function defaultStateDir(root: string, facts: StateDirFacts): string {
  const system = join(root, DEFAULT_STATE_DIR);
  if (root !== "/" || facts.uid === 0 || facts.writable(system)) return system;
  const base = facts.xdgStateHome ?? (facts.home ? join(facts.home, ".local/state") : undefined);
  return base ? join(base, "nat64-relay") : system;
}
