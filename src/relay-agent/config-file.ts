// Reads the agent's standalone config file (YAML or JSON) into a validated RelayConfig.
import { readFile } from "node:fs/promises";
import { parseRelayConfigText, type RelayConfigParse } from "../core/index.ts";

export async function loadRelayConfigFile(path: string): Promise<RelayConfigParse> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    return { ok: false, problems: [{ path: "", message: `cannot read ${path}: ${reason}` }] };
  }
  return parseRelayConfigText(text);
}
