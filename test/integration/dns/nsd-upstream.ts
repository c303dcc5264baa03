// A real authoritative upstream for the tests: Debian's nsd on a loopback address and a free
// high port, serving zone files written to a temporary directory, killed after the suite.
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";

export interface NsdZone {
  readonly name: string;
  /** Zone file body after $ORIGIN/$TTL, relative names allowed. */
  readonly records: string;
}

export interface NsdUpstream {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  stop(): Promise<void>;
}

/** A free UDP+TCP port on `host`, found by binding port 0 and closing again. */
/** A port free for both UDP and TCP on host now (DNS servers take both). */
export async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    const { port } = socket.address();
    const probe = createServer();
    const tcpFree = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen(port, host, () => resolve(true));
    });
    if (tcpFree) await new Promise<void>((resolve) => probe.close(() => resolve()));
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (tcpFree) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${host} after 20 tries`);
}

export async function startNsd(host: string, zones: readonly NsdZone[]): Promise<NsdUpstream> {
  const dir = await mkdtemp(join(tmpdir(), "nat64-relay-nsd-"));
  const port = await freePort(host);
  const zoneBlocks: string[] = [];
  for (const zone of zones) {
    const file = join(dir, `${zone.name}.zone`);
    await writeFile(file, `$ORIGIN ${zone.name}.\n$TTL 300\n${zone.records}\n`);
    zoneBlocks.push(`zone:\n  name: "${zone.name}"\n  zonefile: "${file}"\n`);
  }
  const conf = join(dir, "nsd.conf");
  await writeFile(
    conf,
    [
      "server:",
      `  ip-address: ${host}@${port}`,
      `  port: ${port}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${dir}"`,
      '  database: ""',
      `  pidfile: "${join(dir, "nsd.pid")}"`,
      `  xfrdfile: "${join(dir, "xfrd.state")}"`,
      `  zonelistfile: "${join(dir, "zone.list")}"`,
      `  logfile: "${join(dir, "nsd.log")}"`,
      "  server-count: 1",
      "  rrl-ratelimit: 0",
      "  verbosity: 1",
      "remote-control:",
      "  control-enable: no",
      ...zoneBlocks,
    ].join("\n"),
  );
  const child = spawn("nsd", ["-d", "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const firstZone = zones[0]?.name ?? ".";
  try {
    await waitUntilAnswering(host, port, firstZone, child);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`nsd did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    host,
    port,
    address: `${host}:${port}`,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** stdout and stderr of `child` as one growing text, and its exit code. */
export function watchChild(child: ChildProcess): {
  output: () => string;
  exit: Promise<number | null>;
} {
  let output = "";
  const append = (chunk: unknown) => {
    output += String(chunk);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { output: () => output, exit };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

async function waitUntilAnswering(
  host: string,
  port: number,
  zone: string,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const answered = await probeSoa(host, port, zone);
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("no answer within 10 s");
}

function probeSoa(host: string, port: number, zone: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, 200);
    socket.on("message", () => {
      clearTimeout(timer);
      socket.close();
      resolve(true);
    });
    socket.send(
      dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "SOA", name: zone }] }),
      port,
      host,
    );
  });
}
