// `nat64-relay agent <subcommand>`: the relay node's agent. Each subcommand has its own strict
// options and usage line: an unknown flag, a stray argument or a bad value is a usage error
// (exit 2) that names it; a failure or refusal exits 1; success 0 (errors.ts maps the codes).
import { closest, type Options, parseStrict, type Values } from "../cli-args.ts";
import { type AgentEnv, parseAgentEnv } from "./env.ts";
import { AgentError, asAgentError, describeError, EXIT_CODES } from "./errors.ts";

export const DEFAULT_CONFIG_PATH = "/etc/nat64-relay/relay.yaml";

export type { Values };

const CONFIG = { config: { type: "string", short: "c" } } as const satisfies Options;
/** Where the host's files live: every subcommand that reads or writes them takes all three. */
const HOST = {
  root: { type: "string" },
  "state-dir": { type: "string" },
  tailscale: { type: "string" },
} as const satisfies Options;
const HELP = { help: { type: "boolean", short: "h" } } as const satisfies Options;

interface Subcommand {
  /** Options after the subcommand name, as `Usage:` prints them. */
  readonly synopsis: string;
  readonly summary: string;
  readonly options: Options;
  readonly run: (values: Values, env: AgentEnv) => Promise<number>;
}

const dataPlane =
  (name: "apply" | "doctor" | "install" | "uninstall") => async (values: Values, env: AgentEnv) =>
    (await import("./commands/data-plane-commands.ts")).runDataPlaneCommand(name, values, env);

export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  "check-config": {
    synopsis: "[--config FILE]",
    summary: "validate a standalone config file (YAML or JSON) and exit",
    options: { ...CONFIG, ...HELP },
    run: async (values) => (await import("./commands/check-config.ts")).checkConfigCommand(values),
  },
  run: {
    synopsis:
      "[--config FILE] [--root DIR] [--state-dir DIR] [--workers N] [--tailscale BIN] [--api URL --token-file FILE]",
    summary:
      "run the agent: split-DNS synthesis server and the NAT64 data plane (engine none: DNS only); SIGHUP or editing the file reloads; --workers N: N DNS processes sharing the ports; --api URL --token-file FILE: managed mode, the config comes from the control API and --config holds only this node's keys",
    options: {
      ...CONFIG,
      ...HOST,
      ...HELP,
      workers: { type: "string" },
      api: { type: "string" },
      "token-file": { type: "string" },
      token: { type: "string" },
    },
    run: async (values, env) => (await import("./commands/run.ts")).runCommand(values, env),
  },
  apply: {
    synopsis: "[--config FILE] [--root DIR] [--state-dir DIR] [--tailscale BIN] [--dry-run]",
    summary:
      "bring the data plane (nftables, tun, routes, sysctls, tailscale routes) to the desired state once; --dry-run prints the plan",
    options: { ...CONFIG, ...HOST, ...HELP, "dry-run": { type: "boolean" } },
    run: dataPlane("apply"),
  },
  doctor: {
    synopsis:
      "[--config FILE] [--root DIR] [--state-dir DIR] [--tailscale BIN] [--probe HOST] [--server ADDR] [--json] | --client HOST.SPLIT [--server ADDR] [--port N] [--overlay IFACE] [--json]",
    summary:
      "run the relay's verification checklist (✔/✘, causes and fixes); --client: the client-side checks instead (as `nat64-relay doctor --client`)",
    options: {
      ...CONFIG,
      ...HOST,
      ...HELP,
      json: { type: "boolean" },
      probe: { type: "string" },
      server: { type: "string" },
      client: { type: "string" },
      port: { type: "string" },
      overlay: { type: "string" },
    },
    run: dataPlane("doctor"),
  },
  install: {
    synopsis:
      "[--config FILE] [--root DIR] [--state-dir DIR] [--tailscale BIN] [--no-start] [--api URL --token-file F]",
    summary:
      "install the systemd unit, config and state directories; with --api and --token-file also the agent token (0600) and a relay.yaml naming the API (managed mode)",
    options: {
      ...CONFIG,
      ...HOST,
      ...HELP,
      "no-start": { type: "boolean" },
      api: { type: "string" },
      "token-file": { type: "string" },
    },
    run: dataPlane("install"),
  },
  uninstall: {
    synopsis: "[--config FILE] [--root DIR] [--state-dir DIR] [--tailscale BIN] [--purge]",
    summary:
      "remove everything install and apply added, nothing else; keeps config files edited since install and the generated NAT64 prefix (a reinstall reuses it) unless --purge",
    options: {
      ...CONFIG,
      ...HOST,
      ...HELP,
      purge: { type: "boolean" },
    },
    run: dataPlane("uninstall"),
  },
};

const OPTION_HELP = `Options:
  -c, --config FILE   standalone config file (default ${DEFAULT_CONFIG_PATH})
  --root DIR          prefix for /etc and /var/lib (default /, or NAT64_RELAY_ROOT)
  --state-dir DIR     state directory: generated prefix, records (default /var/lib/nat64-relay
                      under --root; for a user who cannot write there ~/.local/state/nat64-relay)
  --tailscale BIN     the tailscale CLI to use (default tailscale, or NAT64_RELAY_TAILSCALE)
  -h, --help          show this help (also after a subcommand)

Exit status: 0 ok, 1 failed check or refused, 2 usage (a bad option, argument or environment
variable).`;

export function usageLine(name: string): string {
  return `Usage: nat64-relay agent ${name} ${SUBCOMMANDS[name]?.synopsis ?? ""}`.trimEnd();
}

export function agentUsage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  return [
    "Usage: nat64-relay agent <subcommand> [options]",
    "",
    "Subcommands:",
    ...Object.entries(SUBCOMMANDS).map(
      ([name, sub]) =>
        `  ${name.padEnd(width)}  ${sub.summary}\n  ${" ".repeat(width)}  ${sub.synopsis}`,
    ),
    "",
    OPTION_HELP,
  ].join("\n");
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(agentUsage());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    console.log(agentUsage());
    return 0;
  }
  const subcommand = SUBCOMMANDS[name];
  if (!subcommand) {
    const hint = name.startsWith("-")
      ? " (the subcommand comes first, e.g. `nat64-relay agent run --config FILE`)"
      : ((known) => (known ? ` (did you mean ${known}?)` : ""))(
          closest(name, Object.keys(SUBCOMMANDS)),
        );
    console.error(
      `nat64-relay agent: unknown subcommand "${name}"${hint}\n${agentUsage().split("\n")[0]}`,
    );
    return 2;
  }
  const parsed = parseStrict(rest, subcommand.options, false);
  if (!parsed.ok) {
    console.error(`nat64-relay agent ${name}: ${parsed.problem}\n${usageLine(name)}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(`${usageLine(name)}\n\n${subcommand.summary}\n\n${OPTION_HELP}`);
    return 0;
  }
  try {
    return await subcommand.run(values, parseAgentEnv(env));
  } catch (error) {
    const failure = asAgentError(error);
    console.error(`nat64-relay agent ${name}: ${describeError(failure)}`);
    if (failure.code === "usage") console.error(usageLine(name));
    return EXIT_CODES[failure.code];
  }
}

/** Thrown by a subcommand for an option value it cannot use (exit 2 with the usage line). */
export const usageError = (message: string) => new AgentError("usage", message);
