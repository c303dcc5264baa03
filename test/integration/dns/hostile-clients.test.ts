// The attacks of docs/security.md against the real `agent run` process: a TCP client that
// pipelines queries and never reads, connections that trickle a byte at a time, sources
// outside allowFrom, and names with 100 A records filling the cache. The agent must stay up,
// keep answering others over UDP and TCP, and keep its memory bounded. Loopback only; every
// loop is bounded in count and time.
import { createSocket } from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidr } from "../../../src/core/index.ts";
import { SourceAccessList } from "../../../src/relay-agent/dns/access.ts";
import { type AgentProcess, agent, eventually, metricValue, rssMb } from "./agent-process.ts";
import { encodeAsk, frame, rrs, tcpQuery, udpQuery } from "./dns-client.ts";
import { REAL, rcodeOf, SPLIT, startRealUpstream, startServer } from "./lab.ts";
import { freePort, type NsdUpstream, startNsd, stopChild } from "./nsd-upstream.ts";

const HOST = "127.0.0.1";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let nsd: NsdUpstream;
let dir: string;

beforeAll(async () => {
  nsd = await startRealUpstream("127.0.53.15");
  dir = await mkdtemp(join(tmpdir(), "nat64-relay-hostile-"));
});
afterAll(async () => {
  await nsd?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface RunningAgent {
  readonly run: AgentProcess;
  readonly port: number;
  readonly metricsPort: number;
  readonly pid: number;
}

async function startAgent(name: string, extra: string[], upstream = nsd): Promise<RunningAgent> {
  const port = await freePort(HOST);
  const metricsPort = await freePort(HOST);
  const configPath = join(dir, `${name}.yaml`);
  await writeFile(
    configPath,
    [
      "engine: none",
      `listen: ["${HOST}:${port}"]`,
      `upstreams: ["${upstream.address}"]`,
      'prefix: "fd4e:2a91:7c3d:6464::/96"',
      `metricsListen: "${HOST}:${metricsPort}"`,
      "splitDomains:",
      `  - { name: ${SPLIT}, realSuffix: ${REAL} }`,
      ...extra,
    ].join("\n"),
  );
  const run = agent(["--config", configPath, "--state-dir", join(dir, `${name}-state`)]);
  // Start-up can be slow on a loaded machine; an agent that exits says why.
  const exited = run.exit.then((code) => {
    throw new Error(`agent exited with ${code} before answering:\n${run.output()}`);
  });
  try {
    await Promise.race([
      eventually(() => udpQuery(HOST, port, { name: SPLIT, type: "SOA" }, 300), 30_000),
      exited,
    ]);
  } catch (error) {
    await stopChild(run.child);
    throw new Error(`${(error as Error).message}\nagent output:\n${run.output()}`);
  }
  exited.catch(() => {});
  return { run, port, metricsPort, pid: run.child.pid! };
}

/** One UDP and one TCP question a normal client asks, both answered correctly and in time. */
async function expectNormalAnswers(port: number): Promise<void> {
  const udp = await udpQuery(HOST, port, { name: `plain.${SPLIT}`, type: "AAAA" }, 2000);
  expect(rcodeOf(udp.raw)).toBe(0);
  expect(rrs(udp.packet.answers)).toHaveLength(1);
  const tcp = await tcpQuery(HOST, port, { name: `multi.${SPLIT}`, type: "AAAA" }, 2000);
  expect(rcodeOf(tcp.raw)).toBe(0);
  expect(rrs(tcp.packet.answers)).toHaveLength(3);
}

describe("a TCP client that pipelines queries and never reads the answers", () => {
  it("is paused, then closed; the agent stays up, answers others, and its RSS stays bounded", async () => {
    const { run, port, metricsPort, pid } = await startAgent("nonreading", []);
    try {
      await expectNormalAnswers(port);
      const baseline = await rssMb(pid);
      const hostile = connect({ host: HOST, port });
      hostile.pause(); // never read a byte of the answers
      hostile.on("error", () => {});
      let closed = false;
      hostile.on("close", () => {
        closed = true;
      });
      await new Promise((resolve) => hostile.once("connect", resolve));
      // The split apex SOA is answered at once from memory: the cheapest way to make answers.
      const batch = Buffer.concat(
        Array.from({ length: 2000 }, (_, id) => frame(encodeAsk({ name: SPLIT, type: "SOA" }, id))),
      );
      let sent = 0;
      const pumping = (async () => {
        const until = Date.now() + 15_000;
        while (!closed && Date.now() < until && sent < 10_000_000) {
          // Never queue in this process either: write only while the socket takes more.
          if (hostile.writableNeedDrain) {
            await sleep(50);
            continue;
          }
          hostile.write(batch);
          sent += 2000;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      let peak = baseline;
      for (let probe = 0; probe < 12 && !closed; probe++) {
        await sleep(500);
        peak = Math.max(peak, await rssMb(pid));
        await expectNormalAnswers(port);
      }
      await pumping;
      const unsentCloses = await eventually(async () => {
        const value = await metricValue(
          metricsPort,
          'nat64_relay_dns_tcp_closed_total{reason="unsent"}',
        );
        return value >= 1 ? value : undefined;
      });
      expect(unsentCloses).toBe(1);
      expect(closed || hostile.destroyed || hostile.writableNeedDrain).toBe(true);
      hostile.destroy();
      expect(run.child.exitCode).toBeNull();
      await expectNormalAnswers(port);
      console.log(
        `non-reading client: ${sent} queries sent, RSS ${baseline.toFixed(1)} → peak ${peak.toFixed(1)} MB`,
      );
      expect(sent).toBeGreaterThan(10_000);
      expect(peak - baseline).toBeLessThan(64);
    } finally {
      await stopChild(run.child);
    }
  });
});

describe("connections that trickle a byte at a time", () => {
  it("cap each source, close the tricklers at the query deadline, and a normal TCP client is answered meanwhile", async () => {
    const { run, port, metricsPort } = await startAgent("trickle", []);
    const sources = Array.from({ length: 10 }, (_, index) => `127.0.77.${index + 1}`);
    const perSource = 60;
    const sockets: Socket[] = [];
    let trickle: NodeJS.Timeout | undefined;
    try {
      const opened = await Promise.all(
        sources.flatMap((localAddress) =>
          Array.from(
            { length: perSource },
            () =>
              new Promise<Socket>((resolve) => {
                const socket = connect({ host: HOST, port, localAddress });
                socket.on("error", () => {});
                socket.on("data", () => {});
                socket.once("connect", () => resolve(socket));
                socket.once("close", () => resolve(socket));
                sockets.push(socket);
              }),
          ),
        ),
      );
      expect(opened).toHaveLength(sources.length * perSource);
      // Each connection announces a 40-byte query and sends one byte of it per second.
      socketsWrite(sockets, Buffer.from([0, 40]));
      let sentBytes = 0;
      trickle = setInterval(() => {
        if (sentBytes++ < 30) socketsWrite(sockets, Buffer.from([0]));
      }, 1000);
      const capped = await eventually(async () => {
        const value = await metricValue(
          metricsPort,
          'nat64_relay_dns_tcp_closed_total{reason="source_cap"}',
        );
        return value === sources.length * (perSource - 16) ? value : undefined;
      });
      expect(capped).toBe(440);
      for (let round = 0; round < 6; round++) {
        await expectNormalAnswers(port);
        await sleep(500);
      }
      const timedOut = await eventually(async () => {
        const value = await metricValue(
          metricsPort,
          'nat64_relay_dns_tcp_closed_total{reason="query_timeout"}',
        );
        return value === sources.length * 16 ? value : undefined;
      }, 15_000);
      expect(timedOut).toBe(160);
      expect(await metricValue(metricsPort, "nat64_relay_dns_tcp_connections")).toBe(0);
      await expectNormalAnswers(port);
    } finally {
      clearInterval(trickle);
      for (const socket of sockets) socket.destroy();
      await stopChild(run.child);
    }
  });
});

function socketsWrite(sockets: readonly Socket[], bytes: Buffer): void {
  for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write(bytes);
}

describe("TCP from a source outside allowFrom", () => {
  it("is closed at accept, before it is read or holds a slot", async () => {
    const { server, port } = await startServer({ upstreams: [nsd.address] });
    try {
      // Loopback is always allowed; this list allows nothing, as for a LAN or Internet source.
      server.handler.settings = {
        ...server.handler.settings,
        access: new SourceAccessList([], [cidr("10.99.0.0/16")]),
      };
      const socket = connect({ host: HOST, port });
      socket.on("error", () => {});
      const received: Buffer[] = [];
      socket.on("data", (chunk) => received.push(chunk));
      socket.once("connect", () =>
        socket.write(frame(encodeAsk({ name: `plain.${SPLIT}`, type: "AAAA" }, 7))),
      );
      await new Promise((resolve) => socket.once("close", resolve));
      expect(received).toEqual([]);
      const metrics = await server.metrics.render();
      expect(metrics).toContain('nat64_relay_dns_tcp_closed_total{reason="source"} 1');
      expect(metrics).toContain("nat64_relay_dns_tcp_connections 0");
      expect(metrics).not.toMatch(/nat64_relay_dns_queries_total\{/);
    } finally {
      await server.close();
    }
  });
});

describe("names with 100 A records each", () => {
  it("fill the cache only up to cacheBytes: the agent stays up, answers, and RSS stays bounded", async () => {
    const wide = await startNsd("127.0.53.16", [
      {
        name: REAL,
        records: [
          "@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 120",
          "@ IN NS ns1",
          "ns1 IN A 127.0.53.16",
          "plain 300 IN A 100.101.1.1",
          "multi 300 IN A 100.101.2.1",
          "multi 300 IN A 100.101.2.2",
          "multi 300 IN A 100.101.2.3",
          ...Array.from({ length: 100 }, (_, i) => `*.many 300 IN A 100.102.${i}.1`),
        ].join("\n"),
      },
    ]);
    const cacheBytes = 4 * 1024 * 1024;
    const { run, port, metricsPort, pid } = await startAgent(
      "bigsets",
      [`cacheBytes: ${cacheBytes}`, "maxAddressesPerName: 100"],
      wide,
    );
    try {
      const baseline = await rssMb(pid);
      const names = 20_000;
      const answered = await askDistinct(port, names, (i) => `n${i}.many.${SPLIT}`);
      expect(answered).toBeGreaterThan(names * 0.9);
      const rss = await rssMb(pid);
      const bytes = await metricValue(metricsPort, "nat64_relay_dns_cache_bytes");
      const entries = await metricValue(metricsPort, "nat64_relay_dns_cache_entries");
      console.log(
        `100-A names: ${answered}/${names} answered, cache ${entries} names / ${bytes} B, RSS ${baseline.toFixed(1)} → ${rss.toFixed(1)} MB`,
      );
      expect(bytes).toBeLessThanOrEqual(cacheBytes);
      // 100 addresses cost ~1,100 B each: 4 MiB holds ~3,800 names, not 20,000.
      expect(entries).toBeGreaterThan(3000);
      expect(entries).toBeLessThan(4500);
      expect(run.child.exitCode).toBeNull();
      await expectNormalAnswers(port);
      expect(rss - baseline).toBeLessThan(64);
    } finally {
      await stopChild(run.child);
      await wide.stop();
    }
  });
});

/** Asks `count` distinct AAAA names over UDP, 200 outstanding at most; returns how many got an answer. */
async function askDistinct(
  port: number,
  count: number,
  name: (i: number) => string,
): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, HOST, () => resolve()));
  let answered = 0;
  socket.on("message", () => {
    answered++;
  });
  const deadline = Date.now() + 90_000;
  try {
    for (let sent = 0; sent < count && Date.now() < deadline; ) {
      const batch = Math.min(200, count - sent);
      for (let i = 0; i < batch; i++) {
        socket.send(
          encodeAsk({ name: name(sent + i), type: "AAAA" }, (sent + i) & 0xffff),
          port,
          HOST,
        );
      }
      sent += batch;
      const waitUntil = Date.now() + 3000;
      while (answered < sent * 0.95 && Date.now() < waitUntil) await sleep(5);
    }
    await sleep(200);
    return answered;
  } finally {
    socket.close();
  }
}
