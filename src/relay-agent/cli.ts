// `nat64-relay agent <subcommand>`: the relay node's agent. Each subcommand has its own strict
// options and usage line: an unknown flag, a stray argument or a bad value is a usage error
// (exit 2) that names it; a failure or refusal exits 1; success 0 (errors.ts maps the codes).
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type AgentEnv, parseAgentEnv } from "./env.ts";
import { AgentError, asAgentError, describeError, EXIT_CODES } from "./errors.ts";

export const DEFAULT_CONFIG_PATH = "/etc/nat64-relay/relay.yaml";

type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | undefined>;

const CONFIG = { config: { type: "string", short: "c" } } as const satisfies Options;
const HOST = { root: { type: "string" }, tailscale: { type: "string" } } as const satisfies Options;
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
      "state-dir": { type: "string" },
      workers: { type: "string" },
      api: { type: "string" },
      "token-file": { type: "string" },
      token: { type: "string" },
    },
    run: async (values, env) => (await import("./commands/run.ts")).runCommand(values, env),
  },
  apply: {
    synopsis: "[--config FILE] [--root DIR] [--tailscale BIN] [--dry-run]",
    summary:
      "bring the data plane (nftables, tun, routes, sysctls, tailscale routes) to the desired state once; --dry-run prints the plan",
    options: { ...CONFIG, ...HOST, ...HELP, "dry-run": { type: "boolean" } },
    run: dataPlane("apply"),
  },
  doctor: {
    synopsis:
      "[--config FILE] [--root DIR] [--tailscale BIN] [--probe HOST] [--server ADDR] [--json]",
    summary: "run the relay's verification checklist (✔/✘, causes and fixes)",
    options: {
      ...CONFIG,
      ...HOST,
      ...HELP,
      json: { type: "boolean" },
      probe: { type: "string" },
      server: { type: "string" },
    },
    run: dataPlane("doctor"),
  },
  install: {
    synopsis:
      "[--config FILE] [--root DIR] [--tailscale BIN] [--no-start] [--api URL --token-file F]",
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
      "state-dir": { type: "string" },
      purge: { type: "boolean" },
    },
    run: dataPlane("uninstall"),
  },
};

const OPTION_HELP = `Options:
  -c, --config FILE   standalone config file (default ${DEFAULT_CONFIG_PATH})
  --root DIR          prefix for /etc and /var/lib (default /, or NAT64_RELAY_ROOT)
  --tailscale BIN     the tailscale CLI to use (default tailscale, or NAT64_RELAY_TAILSCALE)
  -h, --help          show this help (also after a subcommand)

Exit status: 0 ok, 1 failed or refused, 2 usage error.`;

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

/** The closest known name within two edits, for "did you mean". */
export function closest(word: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j] ?? 0;
        row[j] = Math.min(
          above + 1,
          (row[j - 1] ?? 0) + 1,
          diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
        diagonal = above;
      }
    }
    return row[b.length] ?? Number.POSITIVE_INFINITY;
  };
  const ranked = known
    .map((name) => ({ name, cost: distance(word, name) }))
    .filter((entry) => entry.cost <= 2)
    .sort((a, b) => a.cost - b.cost);
  return ranked[0]?.name;
}

/** parseArgs' own message reworded to one line naming the culprit. */
function usageProblem(error: NodeJS.ErrnoException, options: Options): string {
  const culprit = error.message.match(/'([^']+)'/)?.[1] ?? "";
  const flags = Object.keys(options).map((name) => `--${name}`);
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const hint = closest(culprit, flags);
      return `unknown option ${culprit}${hint ? ` (did you mean ${hint}?)` : ""}`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${culprit}"`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return error.message.includes("argument missing")
        ? `option ${culprit.split(" ")[0]} needs a value`
        : `option ${culprit.split(" ")[0]} takes no value`;
    default:
      return error.message.split("\n")[0] ?? error.message;
  }
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
  let values: Values;
  try {
    values = parseArgs({
      args: rest,
      options: subcommand.options,
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (error) {
    console.error(
      `nat64-relay agent ${name}: ${usageProblem(error as NodeJS.ErrnoException, subcommand.options)}\n${usageLine(name)}`,
    );
    return 2;
  }
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
