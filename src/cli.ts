// `nat64-relay <command>`: dispatches to each component's own CLI, loaded only when used.
import packageJson from "../package.json" with { type: "json" };

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  api: {
    summary: "control API: relays, split domains, tokens, Tailscale sync (run `api --help`)",
    run: async (argv) => (await import("./api/node.ts")).main(argv),
  },
  agent: {
    summary: "relay agent: DNS synthesis, NAT64 data plane, doctor (run `agent --help`)",
    run: async (argv) => (await import("./relay-agent/cli.ts")).main(argv),
  },
  bot: {
    summary: "Slack bot (/relay) alone, against a remote API (run `bot --help`)",
    run: async (argv) => (await import("./bot/cli.ts")).main(argv),
  },
  relays: {
    summary: "operator: list, get, create, delete, export relays of a remote API (`relays --help`)",
    run: async (argv) => (await import("./operator/cli.ts")).main("relays", argv),
  },
  domains: {
    summary: "operator: list, add, remove split domains of a remote API (`domains --help`)",
    run: async (argv) => (await import("./operator/cli.ts")).main("domains", argv),
  },
  status: {
    summary: "operator: relays, their nodes and the last Tailscale sync, from a remote API",
    run: async (argv) => (await import("./operator/cli.ts")).main("status", argv),
  },
  doctor: {
    summary: "client-side checks: `doctor --client host.<split>` (resolver, route, reach)",
    run: async (argv) => (await import("./relay-agent/doctor/client-command.ts")).main(argv),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return [
    `nat64-relay ${packageJson.version}: send host.<split> through a Tailscale relay via DNS64 + NAT64`,
    "",
    "Usage: nat64-relay <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  -h, --help     show this help",
    "  -v, --version  print the version",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    console.log(usage());
    return 0;
  }
  if (name === "-v" || name === "--version") {
    console.log(packageJson.version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`nat64-relay: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}
