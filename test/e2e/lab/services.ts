// Services the lab runs: nsd as the upstream (the real zone, plus a leaky copy of the split
// zone for the CNAME fault), the target's TCP sink, and the relay agent itself.
import type { ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ADDR, type Lab, POOL, PREFIX, REAL, SPLIT, TARGET_PORT } from "./topology.ts";

export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = process.execPath;

export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function collect(child: ChildProcess): { text: () => string } {
  let text = "";
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { text: () => text };
}

/** The real zone's records under `suffix` (nsd zone file text). */
function realZone(suffix: string): string {
  return [
    `$ORIGIN ${suffix}.`,
    "$TTL 60",
    "@ IN SOA ns1 hostmaster 1 3600 600 86400 60",
    "@ IN NS ns1",
    `ns1 IN A ${ADDR.upstream}`,
    `my-vps IN A ${ADDR.target}`,
    // A host on the relay's LAN (not an egress interface): the pool must not leave that way.
    `lan-host IN A ${ADDR.lan}`,
    `alias IN CNAME my-vps`,
    "",
  ].join("\n");
}

/**
 * nsd as the upstream: the real zone under REAL (and under each of `alsoRealSuffixes`, same
 * records), plus the leaky copy of the split zone.
 */
export async function startNsd(
  lab: Lab,
  options: { alsoRealSuffixes?: readonly string[] } = {},
): Promise<ChildProcess> {
  const dir = join(lab.dir, "nsd");
  await mkdir(dir, { recursive: true });
  const suffixes = [REAL, ...(options.alsoRealSuffixes ?? [])];
  for (const [index, suffix] of suffixes.entries()) {
    await writeFile(join(dir, index === 0 ? "real.zone" : `real-${index}.zone`), realZone(suffix));
  }
  // A plain authoritative server for the split zone: what a wrong split-DNS target looks like.
  await writeFile(
    join(dir, "leaky.zone"),
    [
      `$ORIGIN ${SPLIT}.`,
      "$TTL 60",
      `@ IN SOA ns1.${REAL}. hostmaster.${REAL}. 1 3600 600 86400 60`,
      `@ IN NS ns1.${REAL}.`,
      `my-vps IN CNAME my-vps.${REAL}.`,
      "",
    ].join("\n"),
  );
  const conf = join(dir, "nsd.conf");
  await writeFile(
    conf,
    [
      "server:",
      `  ip-address: ${ADDR.upstream}`,
      "  port: 53",
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${dir}"`,
      `  pidfile: "${dir}/nsd.pid"`,
      `  xfrdfile: "${dir}/xfrd.state"`,
      `  zonelistfile: "${dir}/zone.list"`,
      '  database: ""',
      "  rrl-ratelimit: 0",
      "  verbosity: 1",
      "remote-control:",
      "  control-enable: no",
      ...suffixes.flatMap((suffix, index) => [
        "zone:",
        `  name: ${suffix}`,
        `  zonefile: ${index === 0 ? "real.zone" : `real-${index}.zone`}`,
      ]),
      "zone:",
      `  name: ${SPLIT}`,
      "  zonefile: leaky.zone",
      "",
    ].join("\n"),
  );
  const child = lab.spawn("upstream", "nsd", ["-d", "-c", conf]);
  const log = collect(child);
  await waitFor(`nsd in ${lab.ns.upstream} (${log.text()})`, async () => {
    const { stdout } = await lab.exec("upstream", "dig", [
      "+short",
      "+time=1",
      "+tries=1",
      `@${ADDR.upstream}`,
      `my-vps.${REAL}`,
      "A",
    ]);
    return stdout.trim() === ADDR.target;
  });
  return child;
}

export async function startTargetServer(lab: Lab): Promise<ChildProcess> {
  const child = lab.spawn("target", NODE, [
    join(REPO, "test/e2e/lab/target-server.ts"),
    String(TARGET_PORT),
  ]);
  await waitFor("target TCP server", async () => {
    await lab.exec("target", "sh", ["-c", `ss -ltn | grep -q ':${TARGET_PORT} '`]);
    return true;
  });
  return child;
}

export interface AgentFiles {
  readonly config: string;
  readonly root: string;
}

/** The standalone config of the relay agent in the lab. */
export async function writeAgentConfig(
  lab: Lab,
  name = "relay.yaml",
  extra: Record<string, unknown> = {},
): Promise<AgentFiles> {
  const root = join(lab.dir, "relay-root");
  await mkdir(root, { recursive: true });
  const config = join(lab.dir, name);
  const settings = {
    prefix: PREFIX,
    pool: POOL,
    engine: "tayga",
    overlayInterface: "tailscale0",
    egressInterfaces: ["eth0"],
    listen: [`[${ADDR.relay6}]:53`],
    upstreams: [ADDR.upstream],
    allowFrom: ["fd7a:115c:a1e0::/48"],
    maxTtl: 60,
    splitDomains: [{ name: SPLIT, realSuffix: REAL }],
    ...extra,
  };
  await writeFile(config, `${JSON.stringify(settings, null, 2)}\n`);
  return { config, root };
}

export function agentArgs(files: AgentFiles, tailscale?: string): string[] {
  return [
    "--config",
    files.config,
    "--root",
    files.root,
    "--tailscale",
    tailscale ?? join(files.root, "no-tailscale-here"),
  ];
}

/** `nat64-relay <args>` in a namespace; resolves with the exit code and output, never throws. */
export async function cli(
  lab: Lab,
  role: "relay" | "client",
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await lab.exec(
      role,
      NODE,
      [join(REPO, "bin/nat64-relay.js"), ...args],
      { timeoutMs },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? String(error),
    };
  }
}

export interface RunningAgent {
  readonly child: ChildProcess;
  log(): string;
}

/** `node bin/nat64-relay.js agent run --config F --root R` inside the relay namespace. */
export async function startAgent(
  lab: Lab,
  files: AgentFiles,
  tailscale?: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningAgent> {
  const child = lab.spawn(
    "relay",
    NODE,
    [join(REPO, "bin/nat64-relay.js"), "agent", "run", ...agentArgs(files, tailscale)],
    {
      env: { NAT64_RELAY_LOG_LEVEL: "info", ...env },
    },
  );
  const log = collect(child);
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  await waitFor(
    "the agent to answer DNS",
    async () => {
      if (exited) throw new Error(`agent exited:\n${log.text()}`);
      // A name outside the split zones: REFUSED proves the agent listens, without synthesizing.
      const { stdout } = await lab.exec("relay", "dig", [
        "+time=1",
        "+tries=1",
        `@${ADDR.relay6}`,
        "ready.example",
        "AAAA",
      ]);
      return stdout.includes("status: REFUSED");
    },
    20_000,
    200,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nagent log:\n${log.text()}`);
  });
  return { child, log: log.text };
}

export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
