// `nat64-relay relays|domains|status`: the operator's commands against a remote control API
// (NAT64_RELAY_API_URL + NAT64_RELAY_API_TOKEN), through the typed client. The API decides and
// words every refusal; this prints its message and exits 1. Usage mistakes exit 2.
import { closest, type Options, parseStrict, USAGE_EXIT, type Values } from "../cli-args.ts";
import { ApiClient } from "../client/api-client.ts";
import { formatProblems, isRelayError } from "../core/errors.ts";
import { standaloneConfig } from "./export-config.ts";
import { formatDomains, formatRelays, formatStatus } from "./format.ts";

class UsageError extends Error {}

function clientFrom(env: NodeJS.ProcessEnv): ApiClient {
  const apiUrl = env.NAT64_RELAY_API_URL?.trim();
  const token = env.NAT64_RELAY_API_TOKEN?.trim();
  if (!apiUrl || !token) {
    throw new UsageError(
      `set ${[!apiUrl && "NAT64_RELAY_API_URL", !token && "NAT64_RELAY_API_TOKEN"].filter(Boolean).join(" and ")} (the API's base URL and an operator token)`,
    );
  }
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol)) {
    throw new UsageError(
      `NAT64_RELAY_API_URL must be an http(s) URL, e.g. http://127.0.0.1:8787 (got "${apiUrl}")`,
    );
  }
  return new ApiClient({ apiUrl, token });
}

const print = (json: boolean, value: unknown, text: () => string) =>
  console.log(json ? JSON.stringify(value, null, 2) : text());

function one(positionals: string[], what: string): string {
  const [name, extra] = positionals;
  if (name === undefined) throw new UsageError(`name the ${what}`);
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return name;
}

function none(positionals: string[]): void {
  if (positionals[0] !== undefined) throw new UsageError(`unexpected argument "${positionals[0]}"`);
}

interface Verb {
  /** What follows `nat64-relay <group> <verb>`, as `Usage:` prints it. */
  readonly synopsis: string;
  readonly summary: string;
  readonly options: Options;
  /** The one name the verb acts on ("relay", "split domain"), if it takes one. */
  readonly takes?: string;
  readonly run: (input: {
    values: Values;
    name: string;
    env: NodeJS.ProcessEnv;
    json: boolean;
  }) => Promise<void>;
}

const JSON_OPTION = { json: { type: "boolean" } } as const satisfies Options;
const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const satisfies Options;

const RELAYS: Readonly<Record<string, Verb>> = {
  list: {
    synopsis: "[--json]",
    summary: "list the relays",
    options: JSON_OPTION,
    run: async ({ env, json }) => {
      const listed = await clientFrom(env).listRelays();
      print(json, { relays: listed }, () => formatRelays(listed));
    },
  },
  get: {
    synopsis: "NAME [--json]",
    summary: "show one relay",
    options: JSON_OPTION,
    takes: "relay",
    run: async ({ env, json, name }) => {
      const relay = await clientFrom(env).getRelay(name);
      print(json, relay, () => formatRelays([relay]));
    },
  },
  create: {
    synopsis: "NAME [--pool CIDR] [--prefix CIDR] [--engine tayga|jool|none] [--json]",
    summary: "create a relay; prints its agent token once",
    options: {
      ...JSON_OPTION,
      pool: { type: "string" },
      prefix: { type: "string" },
      engine: { type: "string" },
    },
    takes: "relay",
    run: async ({ env, json, name, values }) => {
      const input = {
        name,
        ...(typeof values.pool === "string" ? { pool: values.pool } : {}),
        ...(typeof values.prefix === "string" ? { prefix: values.prefix } : {}),
        ...(typeof values.engine === "string" ? { engine: values.engine } : {}),
      };
      const created = await clientFrom(env).createRelay(input);
      print(json, created, () =>
        [
          `created relay ${created.relay.name} (prefix ${created.relay.prefix}, pool ${created.relay.pool})`,
          `agent token (shown once, put it in the agent's environment): ${created.agentToken}`,
        ].join("\n"),
      );
    },
  },
  delete: {
    synopsis: "NAME [--json]",
    summary: "delete a relay",
    options: JSON_OPTION,
    takes: "relay",
    run: async ({ env, json, name }) => {
      await clientFrom(env).deleteRelay(name);
      print(json, { deleted: name }, () => `deleted relay ${name}`);
    },
  },
  export: {
    synopsis: "NAME > relay.yaml",
    summary: "print a standalone config for the relay (for `agent run --config`)",
    options: {},
    takes: "relay",
    run: async ({ env, name }) => {
      const client = clientFrom(env);
      const [relay, domains] = await Promise.all([
        client.getRelay(name),
        client.listSplitDomains(),
      ]);
      process.stdout.write(standaloneConfig(relay, domains, env.NAT64_RELAY_API_URL ?? ""));
    },
  },
};

const DOMAINS: Readonly<Record<string, Verb>> = {
  list: {
    synopsis: "[--json]",
    summary: "list the split domains",
    options: JSON_OPTION,
    run: async ({ env, json }) => {
      const listed = await clientFrom(env).listSplitDomains();
      print(json, { splitDomains: listed }, () => formatDomains(listed));
    },
  },
  add: {
    synopsis: "NAME --real-suffix SUFFIX --relay RELAY [--json]",
    summary: "send host.NAME through RELAY, answered from host.SUFFIX",
    options: { ...JSON_OPTION, "real-suffix": { type: "string" }, relay: { type: "string" } },
    takes: "split domain",
    run: async ({ env, json, name, values }) => {
      const realSuffix = values["real-suffix"];
      const relay = values.relay;
      if (typeof realSuffix !== "string" || typeof relay !== "string") {
        throw new UsageError("needs --real-suffix SUFFIX and --relay RELAY");
      }
      const added = await clientFrom(env).addSplitDomain({ name, realSuffix, relay });
      for (const warning of added.warnings) console.error(`warning: ${warning.message}`);
      const domain = added.splitDomain;
      print(
        json,
        added,
        () =>
          `added split domain ${domain.name}: host.${domain.name} → host.${domain.realSuffix} through relay ${domain.relay}`,
      );
    },
  },
  remove: {
    synopsis: "NAME [--json]",
    summary: "remove a split domain",
    options: JSON_OPTION,
    takes: "split domain",
    run: async ({ env, json, name }) => {
      await clientFrom(env).removeSplitDomain(name);
      print(json, { removed: name }, () => `removed split domain ${name}`);
    },
  },
};

const STATUS: Verb = {
  synopsis: "[--json]",
  summary: "relays, their nodes and the last Tailscale sync",
  options: JSON_OPTION,
  run: async ({ env, json }) => {
    const answer = await clientFrom(env).getStatus();
    print(json, answer, () => formatStatus(answer));
  },
};

const GROUPS = { relays: RELAYS, domains: DOMAINS } as const;

const FOOTER = `Environment: NAT64_RELAY_API_URL (the API's base URL), NAT64_RELAY_API_TOKEN (an operator or
admin token; POST /v1/tokens).
Exit status: 0 done, 1 refused or failed (the API's message), 2 usage (a bad option, argument or
environment variable).`;

const usageLine = (command: string, verb: Verb) =>
  `Usage: nat64-relay ${command} ${verb.synopsis}`.trimEnd();

const verbHelp = (command: string, verb: Verb) =>
  `${usageLine(command, verb)}\n\n${verb.summary}\n\nOptions: -h, --help${"json" in verb.options ? ", --json (the API's answer as JSON)" : ""}\n${FOOTER}`;

/** Every operator command, one per line (`nat64-relay relays --help`, the README). */
export const OPERATOR_USAGE = [
  "Usage:",
  ...Object.entries(GROUPS).flatMap(([group, verbs]) =>
    Object.entries(verbs).map(([name, verb]) => `  nat64-relay ${group} ${name} ${verb.synopsis}`),
  ),
  `  nat64-relay status ${STATUS.synopsis}`,
  "",
  "Run `nat64-relay <command> <verb> --help` for one of them.",
  FOOTER,
].join("\n");

/** `group` is relays, domains or status; argv is what follows it. */
export async function main(
  group: "relays" | "domains" | "status",
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const [first, ...rest] = argv;
  let command: string;
  let verb: Verb;
  let args: string[];
  if (group === "status") {
    [command, verb, args] = ["status", STATUS, argv];
  } else {
    const verbs: Readonly<Record<string, Verb>> = GROUPS[group];
    if (first === undefined || first === "-h" || first === "--help" || first === "help") {
      console[first === undefined ? "error" : "log"](OPERATOR_USAGE);
      return first === undefined ? USAGE_EXIT : 0;
    }
    const found = verbs[first];
    if (!found) {
      const hint = closest(first, Object.keys(verbs));
      console.error(
        `nat64-relay ${group}: unknown ${group} command "${first}"${hint ? ` (did you mean ${hint}?)` : ""}\n\n${OPERATOR_USAGE}`,
      );
      return USAGE_EXIT;
    }
    [command, verb, args] = [`${group} ${first}`, found, rest];
  }
  const parsed = parseStrict(args, { ...verb.options, ...HELP_OPTION }, true);
  if (parsed.ok && parsed.values.help) {
    console.log(verbHelp(command, verb));
    return 0;
  }
  try {
    if (!parsed.ok) throw new UsageError(parsed.problem);
    const { values, positionals } = parsed;
    if (!verb.takes) none(positionals);
    const name = verb.takes ? one(positionals, verb.takes) : "";
    await verb.run({ values, name, env, json: values.json === true });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`nat64-relay ${command}: ${error.message}\n${usageLine(command, verb)}`);
      return USAGE_EXIT;
    }
    if (isRelayError(error)) {
      const problems = error.problems.length ? `\n${formatProblems(error.problems)}` : "";
      console.error(`nat64-relay ${command}: ${error.message}${problems}`);
      return 1;
    }
    throw error;
  }
}
