// `nat64-relay relays|domains|status`: the operator's commands against a remote control API
// (NAT64_RELAY_API_URL + NAT64_RELAY_API_TOKEN), through the typed client. The API decides and
// words every refusal; this prints its message and exits 1. Usage mistakes exit 2.
import { parseArgs } from "node:util";
import { ApiClient } from "../client/api-client.ts";
import { formatProblems, isRelayError } from "../core/errors.ts";
import { standaloneConfig } from "./export-config.ts";
import { formatDomains, formatRelays, formatStatus } from "./format.ts";

export const OPERATOR_USAGE = `Usage:
  nat64-relay relays list
  nat64-relay relays get NAME
  nat64-relay relays create NAME [--pool CIDR] [--prefix CIDR] [--engine tayga|jool|none]
  nat64-relay relays delete NAME
  nat64-relay relays export NAME > relay.yaml   a standalone config (agent run --config)
  nat64-relay domains list
  nat64-relay domains add NAME --real-suffix SUFFIX --relay RELAY
  nat64-relay domains remove NAME
  nat64-relay status

Options: --json (print the API's answer as JSON), -h, --help
Environment: NAT64_RELAY_API_URL (the API's base URL), NAT64_RELAY_API_TOKEN (an operator or
admin token; POST /v1/tokens). Exit status: 0 done, 1 refused or failed (the API's message),
2 usage.`;

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

async function relays(verb: string | undefined, rest: string[], env: NodeJS.ProcessEnv) {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      pool: { type: "string" },
      prefix: { type: "string" },
      engine: { type: "string" },
    },
  });
  const json = values.json === true;
  if (verb !== "create" && (values.pool || values.prefix || values.engine)) {
    throw new UsageError("--pool, --prefix and --engine go with relays create");
  }
  switch (verb) {
    case "list": {
      none(positionals);
      const listed = await clientFrom(env).listRelays();
      return print(json, { relays: listed }, () => formatRelays(listed));
    }
    case "get": {
      const relay = await clientFrom(env).getRelay(one(positionals, "relay"));
      return print(json, relay, () => formatRelays([relay]));
    }
    case "create": {
      const name = one(positionals, "relay");
      const input = {
        name,
        ...(values.pool ? { pool: values.pool } : {}),
        ...(values.prefix ? { prefix: values.prefix } : {}),
        ...(values.engine ? { engine: values.engine } : {}),
      };
      const created = await clientFrom(env).createRelay(input);
      return print(json, created, () =>
        [
          `created relay ${created.relay.name} (prefix ${created.relay.prefix}, pool ${created.relay.pool})`,
          `agent token (shown once, put it in the agent's environment): ${created.agentToken}`,
        ].join("\n"),
      );
    }
    case "delete": {
      const name = one(positionals, "relay");
      await clientFrom(env).deleteRelay(name);
      return print(json, { deleted: name }, () => `deleted relay ${name}`);
    }
    case "export": {
      const name = one(positionals, "relay");
      const client = clientFrom(env);
      const [relay, domains] = await Promise.all([
        client.getRelay(name),
        client.listSplitDomains(),
      ]);
      process.stdout.write(standaloneConfig(relay, domains, env.NAT64_RELAY_API_URL ?? ""));
      return;
    }
    default:
      throw new UsageError(verb ? `unknown relays command "${verb}"` : "relays needs a command");
  }
}

async function domains(verb: string | undefined, rest: string[], env: NodeJS.ProcessEnv) {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      "real-suffix": { type: "string" },
      relay: { type: "string" },
    },
  });
  const json = values.json === true;
  if (verb !== "add" && (values["real-suffix"] || values.relay)) {
    throw new UsageError("--real-suffix and --relay go with domains add");
  }
  switch (verb) {
    case "list": {
      none(positionals);
      const listed = await clientFrom(env).listSplitDomains();
      return print(json, { splitDomains: listed }, () => formatDomains(listed));
    }
    case "add": {
      const name = one(positionals, "split domain");
      const realSuffix = values["real-suffix"];
      const relay = values.relay;
      if (!realSuffix || !relay)
        throw new UsageError("domains add needs --real-suffix and --relay");
      const added = await clientFrom(env).addSplitDomain({ name, realSuffix, relay });
      for (const warning of added.warnings) console.error(`warning: ${warning.message}`);
      const domain = added.splitDomain;
      return print(
        json,
        added,
        () =>
          `added split domain ${domain.name}: host.${domain.name} → host.${domain.realSuffix} through relay ${domain.relay}`,
      );
    }
    case "remove": {
      const name = one(positionals, "split domain");
      await clientFrom(env).removeSplitDomain(name);
      return print(json, { removed: name }, () => `removed split domain ${name}`);
    }
    default:
      throw new UsageError(verb ? `unknown domains command "${verb}"` : "domains needs a command");
  }
}

async function status(rest: string[], env: NodeJS.ProcessEnv) {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  none(positionals);
  const answer = await clientFrom(env).getStatus();
  print(values.json === true, answer, () => formatStatus(answer));
}

/** `group` is relays, domains or status; argv is what follows it. */
export async function main(
  group: "relays" | "domains" | "status",
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(OPERATOR_USAGE);
    return 0;
  }
  try {
    if (group === "status") await status(argv, env);
    else {
      const [verb, ...rest] = argv;
      await (group === "relays" ? relays(verb, rest, env) : domains(verb, rest, env));
    }
    return 0;
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`nat64-relay ${group}: ${(error as Error).message}\n\n${OPERATOR_USAGE}`);
      return 2;
    }
    if (isRelayError(error)) {
      const problems = error.problems.length ? `\n${formatProblems(error.problems)}` : "";
      console.error(`nat64-relay ${group}: ${error.message}${problems}`);
      return 1;
    }
    throw error;
  }
}
