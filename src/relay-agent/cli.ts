// `nat64-relay agent <subcommand>`: the relay node's agent.
import { parseArgs } from "node:util";
import { formatProblems } from "../core/index.ts";
import { loadRelayConfigFile } from "./config-file.ts";

const USAGE = `Usage: nat64-relay agent <subcommand> [options]

Subcommands:
  check-config --config FILE   validate a standalone config file (YAML or JSON) and exit
  run [--state-dir DIR] [--workers N]
                               run the agent standalone: split-DNS synthesis server (and the
                               NAT64 data plane unless engine: none); SIGHUP reloads;
                               --workers N: N DNS processes sharing the ports (default 1)
  run --api URL --token-file F managed mode: the config comes from the control API (long
                               poll), the agent reports its status there; the --config file
                               (optional) holds only this node's keys (listen, stateDir...)
  apply [--dry-run]            bring the NAT64 data plane (nftables, tun, routes, sysctls,
                               tailscale routes) to the desired state once; --dry-run prints it
  doctor [--json]              run the relay's verification checklist (✔/✘, causes and fixes)
  install                      install the systemd unit, config and state directories
  uninstall                    remove everything install and apply added, nothing else

Options:
  -c, --config FILE   standalone config file (default /etc/nat64-relay/relay.yaml)
  --root DIR          prefix for /etc and /var/lib (default /, or NAT64_RELAY_ROOT)
  --tailscale BIN     the tailscale CLI to use (default tailscale)
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
      root: { type: "string" },
      tailscale: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      probe: { type: "string" },
      server: { type: "string" },
      port: { type: "string" },
      "no-start": { type: "boolean" },
      "state-dir": { type: "string" },
      workers: { type: "string" },
      api: { type: "string" },
      "token-file": { type: "string" },
      token: { type: "string" },
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
    case "run":
      return (await import("./commands/run.ts")).runCommand({
        configPath,
        configGiven: typeof values.config === "string",
        values,
        env: process.env,
      });
    case "apply":
    case "doctor":
    case "install":
    case "uninstall":
      return (await import("./commands/data-plane-commands.ts")).runDataPlaneCommand(
        subcommand,
        values,
        configPath,
      );
    default:
      console.error(`nat64-relay agent: unknown subcommand "${subcommand}"\n\n${USAGE}`);
      return 2;
  }
}
