// The prefix `agent run` generated when the config has none (kept in the state directory).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { HostPaths } from "../host/paths.ts";

export async function readGeneratedPrefix(paths: HostPaths): Promise<string | undefined> {
  try {
    const text = (await readFile(join(paths.stateDir, "prefix"), "utf8")).trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}
