// `nat64-relay agent <subcommand>`: the relay node's agent.
import { parseArgs } from "node:util";
import { formatProblems } from "../core/index.ts";
import { loadRelayConfigFile } from "./config-file.ts";

const USAGE = `Usage: nat64-relay agent <subcommand> [options]

Subcommands:
  check-config --config FILE   validate a standalone config file (YAML or JSON) and exit

Options:
  -c, --config FILE   standalone config file (default /etc/nat64-relay/relay.yaml)
  -h, --help          show this help`;

export const DEFAULT_CONFIG_PATH = "/etc/nat64-relay/relay.yaml";

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      config: { type: "string", short: "c" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [subcommand] = positionals;
  if (values.help || subcommand === undefined) {
    console.log(USAGE);
    return subcommand === undefined && !values.help ? 2 : 0;
  }
  const configPath = typeof values.config === "string" ? values.config : DEFAULT_CONFIG_PATH;
  switch (subcommand) {
    case "check-config": {
      const loaded = await loadRelayConfigFile(configPath);
      if (!loaded.ok) {
        console.error(
          `${configPath} is not a valid relay config:\n${formatProblems(loaded.problems)}`,
        );
        return 1;
      }
      for (const warning of loaded.warnings) console.warn(`warning: ${warning.message}`);
      console.log(`${configPath}: ok (${loaded.config.splitDomains.length} split domains)`);
      return 0;
    }
    default:
      console.error(`nat64-relay agent: unknown subcommand "${subcommand}"\n\n${USAGE}`);
      return 2;
  }
}
