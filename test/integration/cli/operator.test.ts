// The operator CLI (`nat64-relay relays|domains|status`) as a process against a real API
// process: the same verbs, the API's own messages, exit 0 / 1 (refused or failed) / 2 (usage),
// and `relays export` giving a file `agent check-config` accepts.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatProblems, type Problem } from "../../../src/core/errors.ts";
import { BIN, closedPort, type Started, start, stop } from "../api/api-process.ts";

const run = promisify(execFile);

let dir: string;
let api: Started;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nat64-relay-operator-"));
  api = await start({
    HOST: "127.0.0.1",
    PORT: "0",
    DATABASE_PATH: join(dir, "api.db"),
    RECONCILE_INTERVAL_SECONDS: "0",
    LOG_LEVEL: "info",
    ADMIN_TOKEN: "",
  });
  token = /(n64r_[a-z2-7]{16}_[a-z2-7]{43})/.exec(api.output())?.[1] ?? "";
}, 60_000);

afterAll(async () => {
  if (api) await stop(api.child);
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  const base = { NAT64_RELAY_API_URL: api.url, NAT64_RELAY_API_TOKEN: token };
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...base, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** What the HTTP API itself answers (message, then its problems), to compare the CLI's words. */
async function apiError(method: string, path: string, body?: unknown, auth = token) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const { error } = (await response.json()) as {
    error: { message: string; problems?: Problem[] };
  };
  return error.problems?.length
    ? `${error.message}\n${formatProblems(error.problems)}`
    : error.message;
}

// Each CLI call is a Node process start: seconds apiece on a loaded machine.
describe("nat64-relay relays / domains / status against the API", { timeout: 180_000 }, () => {
  it("creates, lists, exports and removes with the API's verbs and words", async () => {
    const created = await cli(["relays", "create", "tokyo", "--pool", "192.168.240.0/20"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      /^created relay tokyo \(prefix fd[0-9a-f:]+\/96, pool 192\.168\.240\.0\/20\)\nagent token \(shown once, put it in the agent's environment\): n64r_/,
    );

    const again = await cli(["relays", "create", "tokyo"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `nat64-relay relays create: ${await apiError("POST", "/v1/relays", { name: "tokyo" })}\n`,
    );

    const added = await cli([
      "domains",
      "add",
      "r9929",
      "--real-suffix",
      "tail1234.ts.net",
      "--relay",
      "tokyo",
    ]);
    expect(added.code).toBe(0);
    expect(added.stdout).toBe(
      "added split domain r9929: host.r9929 → host.tail1234.ts.net through relay tokyo\n",
    );

    const refused = await cli([
      "domains",
      "add",
      "r9930",
      "--real-suffix",
      "tail1234.ts.net",
      "--relay",
      "osaka",
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `nat64-relay domains add: ${await apiError("POST", "/v1/split-domains", { name: "r9930", realSuffix: "tail1234.ts.net", relay: "osaka" })}\n`,
    );

    const listed = await cli(["domains", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split("\n").map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ["NAME", "REAL", "SUFFIX"],
      ["r9929", "tail1234.ts.net", "tokyo"],
      [""],
    ]);

    const exported = await cli(["relays", "export", "tokyo"]);
    expect(exported.code).toBe(0);
    const config = parse(exported.stdout) as Record<string, unknown>;
    expect(config.splitDomains).toEqual([{ name: "r9929", realSuffix: "tail1234.ts.net" }]);
    expect(config.pool).toBe("192.168.240.0/20");
    const file = join(dir, "relay.yaml");
    writeFileSync(file, exported.stdout);
    const checked = await cli(["agent", "check-config", "--config", file]);
    expect(checked.code).toBe(0);

    const status = await cli(["status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("relay tokyo (prefix fd");
    expect(status.stdout).toContain("  no node has reported yet\n");

    const json = await cli(["relays", "list", "--json"]);
    expect(
      (JSON.parse(json.stdout) as { relays: { name: string }[] }).relays.map((r) => r.name),
    ).toEqual(["tokyo"]);

    expect(await cli(["domains", "remove", "r9929"])).toMatchObject({
      code: 0,
      stdout: "removed split domain r9929\n",
    });
    expect(await cli(["relays", "delete", "tokyo"])).toMatchObject({
      code: 0,
      stdout: "deleted relay tokyo\n",
    });
    const gone = await cli(["relays", "get", "tokyo"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(
      `nat64-relay relays get: ${await apiError("GET", "/v1/relays/tokyo")}\n`,
    );
  });

  it("exits 1 with the API's message for a bad token, and names an unreachable API", async () => {
    const bad = await cli(["relays", "list"], { NAT64_RELAY_API_TOKEN: "n64r_not_a_token" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `nat64-relay relays list: ${await apiError("GET", "/v1/relays", undefined, "n64r_not_a_token")}\n`,
    );
    const port = await closedPort();
    const down = await cli(["status"], { NAT64_RELAY_API_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `nat64-relay status: cannot reach the nat64-relay API at http://127.0.0.1:${port}: ECONNREFUSED 127.0.0.1:${port}; check NAT64_RELAY_API_URL\n`,
    );
  });

  it("exits 2 on usage mistakes, saying what is missing", async () => {
    const unset = await cli(["domains", "list"], {
      NAT64_RELAY_API_URL: "",
      NAT64_RELAY_API_TOKEN: "",
    });
    expect(unset.code).toBe(2);
    expect(unset.stderr.split("\n")[0]).toBe(
      "nat64-relay domains list: set NAT64_RELAY_API_URL and NAT64_RELAY_API_TOKEN (the API's base URL and an operator token)",
    );
    const unknown = await cli(["relays", "frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split("\n")[0]).toBe(
      'nat64-relay relays: unknown relays command "frobnicate"',
    );
    const missing = await cli(["domains", "add", "r9929"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split("\n")[0]).toBe(
      "nat64-relay domains add: needs --real-suffix SUFFIX and --relay RELAY",
    );
    const help = await cli(["relays", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("nat64-relay relays export NAME > relay.yaml");
    const typo = await cli(["relays", "list", "--jsn"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trimEnd().split("\n")).toEqual([
      "nat64-relay relays list: unknown option --jsn (did you mean --json?)",
      "Usage: nat64-relay relays list [--json]",
    ]);
    const stray = await cli(["status", "now"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr.split("\n")[0]).toBe('nat64-relay status: unexpected argument "now"');
  });

  it("prints each verb's own help with exit 0", async () => {
    for (const [args, usage] of [
      [
        ["relays", "create", "--help"],
        "Usage: nat64-relay relays create NAME [--pool CIDR] [--prefix CIDR] [--engine tayga|jool|none] [--json]",
      ],
      [
        ["domains", "add", "-h"],
        "Usage: nat64-relay domains add NAME --real-suffix SUFFIX --relay RELAY [--json]",
      ],
      [["status", "--help"], "Usage: nat64-relay status [--json]"],
    ] as const) {
      const help = await cli([...args]);
      expect([help.code, help.stdout.split("\n")[0]]).toEqual([0, usage]);
    }
  });
});
