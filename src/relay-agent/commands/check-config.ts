// `nat64-relay agent check-config --config FILE`: validate, print warnings, exit.

import { DEFAULT_CONFIG_PATH, type Values } from "../cli.ts";
import { readConfigFile } from "../config-source/file-source.ts";
import { validateCandidate } from "../config-source/resolve-config.ts";

export async function checkConfigCommand(values: Values): Promise<number> {
  const path = typeof values.config === "string" ? values.config : DEFAULT_CONFIG_PATH;
  const { config, warnings } = validateCandidate(await readConfigFile(path));
  for (const warning of warnings) console.warn(`warning: ${warning}`);
  console.log(`${path}: ok (${config.splitDomains.length} split domains)`);
  return 0;
}
