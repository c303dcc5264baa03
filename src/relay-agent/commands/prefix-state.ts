// The prefix `agent run` generated when the config has none (kept in the state directory).
import type { HostPaths } from "../host/paths.ts";
import { readKeptPrefix } from "../state/prefix-store.ts";

export function readGeneratedPrefix(paths: HostPaths): Promise<string | undefined> {
  return readKeptPrefix(paths.stateDir);
}
