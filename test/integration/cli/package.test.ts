// The package as a relay node gets it: `npm pack` (which builds dist/), `npm install -g` of the
// tarball into a temporary prefix with an empty npm cache, then the installed `nat64-relay` from
// PATH with no checkout on it and the working directory outside the checkout.
import { execFile, spawn, spawnSync } from "node:child_process";
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkNat64Prefix, embed } from "../../../src/core/index.ts";
import { rrs, udpQuery } from "../dns/dns-client.ts";
import { HOSTS, REAL, SPLIT, startRealUpstream } from "../dns/lab.ts";
import { freePort, type NsdUpstream, stopChild, watchChild } from "../dns/nsd-upstream.ts";

const execFileAsync = promisify(execFile);
const CHECKOUT = fileURLToPath(new URL("../../..", import.meta.url));
/** Debian's own node (20 on the CI machine): the one a newcomer has on PATH. */
const SYSTEM_NODE = "/usr/bin/node";

let dir: string;
let prefix: string;
let env: NodeJS.ProcessEnv;
let nsd: NsdUpstream;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nat64-relay-package-"));
  prefix = join(dir, "prefix");
  // npm pack runs prepack (the build) in the checkout; the npm on PATH runs on this test's node.
  const packed = await execFileAsync(
    "npm",
    ["pack", "--silent", "--pack-destination", dir, "--cache", join(dir, "cache")],
    { cwd: CHECKOUT, maxBuffer: 16 * 1024 * 1024 },
  );
  const tarball = join(dir, packed.stdout.trim().split("\n").at(-1) ?? "");
  await execFileAsync(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--cache",
      join(dir, "cache"),
      "--no-audit",
      "--no-fund",
      tarball,
    ],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  // Only the installed bin and a node (linked in from outside the checkout's PATH entries).
  const nodeDir = join(dir, "node-bin");
  await mkdir(nodeDir);
  await symlink(process.execPath, join(nodeDir, "node"));
  env = { HOME: dir, PATH: `${join(prefix, "bin")}:${nodeDir}:/usr/bin:/bin` };
  nsd = await startRealUpstream("127.0.53.15");
}, 600_000);

afterAll(async () => {
  await nsd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function installed(args: string[], pathEnv = env) {
  try {
    const { stdout, stderr } = await execFileAsync("nat64-relay", args, { cwd: dir, env: pathEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function systemNodeIsTooOld(): boolean {
  const result = spawnSync(SYSTEM_NODE, ["-p", "process.versions.node"], { encoding: "utf8" });
  if (result.status !== 0) return false;
  const [major = 0, minor = 0] = result.stdout.trim().split(".").map(Number);
  return major < 22 || (major === 22 && minor < 12);
}

describe("the package installed with npm install -g", () => {
  it("ships built JavaScript, no TypeScript sources and no dev tools", async () => {
    const root = join(prefix, "lib/node_modules/nat64-relay");
    const top = (await readdir(root)).sort();
    expect(top).toEqual([
      "README.md",
      "README.zh-CN.md",
      "bin",
      // The fast path's C source: the agent compiles it on the relay (docs/fast-path.md).
      "bpf",
      "dist",
      "migrations",
      "node_modules",
      "package.json",
    ]);
    const modules = await readdir(join(root, "node_modules"));
    for (const devOnly of ["wrangler", "typescript", "vitest", "@biomejs", "drizzle-kit"]) {
      expect(modules).not.toContain(devOnly);
    }
  });

  it("runs --help and check-config from PATH", async () => {
    const help = await installed(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: nat64-relay <command>");

    const good = join(dir, "good.yaml");
    await writeFile(
      good,
      `engine: none\nsplitDomains: [{ name: ${SPLIT}, realSuffix: ${REAL} }]\n`,
    );
    const valid = await installed(["agent", "check-config", "--config", good]);
    expect(valid.code).toBe(0);

    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "engine: none\nsplitDomains: [{ name: r9929, realSuffix: 42 }]\n");
    const invalid = await installed(["agent", "check-config", "--config", bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("splitDomains.0.realSuffix");
  });

  it("writes a unit that starts the installed bin", async () => {
    const root = join(dir, "root");
    const config = join(dir, "unit.yaml");
    await writeFile(config, "engine: none\nsplitDomains: []\n");
    const result = await installed(["agent", "install", "--root", root, "--config", config]);
    expect(result.code).toBe(0);
    const unit = await readFile(join(root, "etc/systemd/system/nat64-relay-agent.service"), "utf8");
    const execStart = unit.split("\n").find((line) => line.startsWith("ExecStart="));
    const bin = join(prefix, "lib/node_modules/nat64-relay/bin/nat64-relay.js");
    expect(execStart).toBe(
      `ExecStart=${await realpath(process.execPath)} ${await realpath(bin)} agent run --config /etc/nat64-relay/relay.yaml`,
    );
  });

  it("runs the DNS-only agent and answers a real query", async () => {
    const port = await freePort("127.0.0.1");
    const config = join(dir, "relay.yaml");
    await writeFile(
      config,
      [
        "engine: none",
        `listen: ["127.0.0.1:${port}"]`,
        `upstreams: ["${nsd.address}"]`,
        `splitDomains: [{ name: ${SPLIT}, realSuffix: ${REAL} }]`,
      ].join("\n"),
    );
    const stateDir = join(dir, "state");
    const child = spawn(
      "nat64-relay",
      ["agent", "run", "--config", config, "--state-dir", stateDir],
      {
        cwd: dir,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const { output, exit } = watchChild(child);
    try {
      const deadline = Date.now() + 20_000;
      let answer: Awaited<ReturnType<typeof udpQuery>> | undefined;
      while (answer === undefined) {
        answer = await udpQuery(
          "127.0.0.1",
          port,
          { name: `plain.${SPLIT}`, type: "AAAA" },
          300,
        ).catch(() => undefined);
        if (answer === undefined && Date.now() > deadline) {
          throw new Error(`the installed agent did not answer in 20 s:\n${output()}`);
        }
      }
      const check = checkNat64Prefix(
        (await readFile(join(stateDir, "prefix"), "utf8")).trim(),
        "tayga",
      );
      expect(check.ok).toBe(true);
      if (!check.ok) return;
      expect(rrs(answer.packet.answers).map((record) => record.data)).toEqual([
        embed(check.prefix, HOSTS.plain[0].data),
      ]);
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      await stopChild(child);
    }
  });

  it.runIf(systemNodeIsTooOld())(
    "says which Node it needs, in one line, when run by a node older than 22.12",
    async () => {
      const result = await installed(["--help"], {
        HOME: dir,
        PATH: `${join(prefix, "bin")}:/usr/bin:/bin`,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^nat64-relay needs Node ≥ 22\.12 \(this is v\d+\.\d+\.\d+ at \/usr\/bin\/node\): install Node 24 LTS/,
      );
    },
  );
});

describe("the checkout's bin", () => {
  it.runIf(systemNodeIsTooOld())(
    "runs from src on an old node through the Node 24 bootstrap",
    async () => {
      const { stdout } = await execFileAsync(
        SYSTEM_NODE,
        [join(CHECKOUT, "bin/nat64-relay.js"), "--version"],
        {
          cwd: dir,
          env: { HOME: dir, PATH: "/usr/bin:/bin" },
        },
      );
      const packageJson = JSON.parse(await readFile(join(CHECKOUT, "package.json"), "utf8"));
      expect(stdout.trim()).toBe(packageJson.version);
    },
  );
});
