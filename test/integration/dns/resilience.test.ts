// Upstream failures, serve-stale, reloads, TCP limits and metrics against a real nsd and an
// upstream address that never answers.
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cidr, embed } from "../../../src/core/index.ts";
import type { DnsServer } from "../../../src/relay-agent/dns/dns-server.ts";
import { STALE_ANSWER_TTL } from "../../../src/relay-agent/dns/resolver.ts";
import { SilentUpstream } from "../../fakes/silent-upstream.ts";
import { encodeAsk, frame, rrs, tcpQuery, udpQuery } from "./dns-client.ts";
import {
  HOSTS,
  labSettings,
  PREFIX,
  rcodeOf,
  SPLIT,
  startRealUpstream,
  startServer,
} from "./lab.ts";
import { freePort, type NsdUpstream } from "./nsd-upstream.ts";
import { tcpConversation } from "./tcp-conversation.ts";

const synth = (ipv4: string) => embed(cidr(PREFIX), ipv4);
const TIMEOUT_MS = 300;

let nsd: NsdUpstream;
let silent: SilentUpstream;
const servers: DnsServer[] = [];

beforeAll(async () => {
  nsd = await startRealUpstream("127.0.53.12");
  silent = await SilentUpstream.start("127.0.53.13");
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});
afterAll(async () => {
  await nsd?.stop();
  await silent?.stop();
});

async function start(...args: Parameters<typeof startServer>) {
  const started = await startServer(...args);
  servers.push(started.server);
  return started;
}

describe("upstreams", () => {
  it("tries upstreams in order: a silent first one costs one timeout, then the next answers", async () => {
    const { port } = await start({
      upstreams: [silent.address, nsd.address],
      upstreamTimeoutMs: TIMEOUT_MS,
    });
    const before = silent.received;
    const started = performance.now();
    const { packet } = await udpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(rrs(packet.answers).map((answer) => answer.data)).toEqual([synth(HOSTS.plain[0].data)]);
    expect(silent.received).toBe(before + 1);
  });

  it("answers SERVFAIL when no upstream answers and nothing is cached", async () => {
    const { port } = await start({ upstreams: [silent.address], upstreamTimeoutMs: TIMEOUT_MS });
    const { raw, packet } = await udpQuery("127.0.0.1", port, {
      name: `plain.${SPLIT}`,
      type: "AAAA",
    });
    expect(rcodeOf(raw)).toBe(2);
    expect(packet.questions).toEqual([{ name: `plain.${SPLIT}`, type: "AAAA", class: "IN" }]);
    expect(packet.answers).toEqual([]);
    expect(packet.authorities).toEqual([]);
  });

  it("keeps answering cached names at once while other names wait on a dead upstream", async () => {
    const { server, port, settings } = await start({
      upstreams: [nsd.address],
      upstreamTimeoutMs: 2000,
    });
    await udpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" });
    const dead = labSettings({ upstreams: [silent.address], upstreamTimeoutMs: 2000 });
    await server.reload({ ...dead, listen: settings.listen });
    const stuck = Array.from({ length: 20 }, (_, index) =>
      udpQuery("127.0.0.1", port, { name: `cold${index}.${SPLIT}`, type: "AAAA" }),
    );
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const { packet } = await udpQuery("127.0.0.1", port, {
        name: `plain.${SPLIT}`,
        type: "AAAA",
      });
      latencies.push(performance.now() - started);
      expect(packet.answers).toHaveLength(1);
    }
    // Far below the 2 s the stuck names wait: cached answers never queue behind them.
    expect(Math.max(...latencies)).toBeLessThan(500);
    const stuckAnswers = await Promise.all(stuck);
    expect(stuckAnswers.every(({ raw }) => rcodeOf(raw) === 2)).toBe(true);
  });
});

describe("serve-stale (RFC 8767) and reload", () => {
  it("serves the expired answer with TTL 30 when the upstreams die, on the same sockets", async () => {
    const { server, port, settings } = await start({
      upstreams: [nsd.address],
      maxTtl: 1,
      upstreamTimeoutMs: TIMEOUT_MS,
    });
    const fresh = await udpQuery("127.0.0.1", port, { name: `multi.${SPLIT}`, type: "AAAA" });
    expect(rrs(fresh.packet.answers)[0]?.ttl).toBe(1);
    const dead = labSettings({
      upstreams: [silent.address],
      maxTtl: 1,
      upstreamTimeoutMs: TIMEOUT_MS,
    });
    await server.reload({ ...dead, listen: settings.listen });
    expect(server.boundAddresses()[0]!.udpPort).toBe(port);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await udpQuery("127.0.0.1", port, { name: `multi.${SPLIT}`, type: "AAAA" });
    expect(rcodeOf(stale.raw)).toBe(0);
    expect(
      rrs(stale.packet.answers)
        .map((answer) => answer.data)
        .sort(),
    ).toEqual(
      rrs(fresh.packet.answers)
        .map((answer) => answer.data)
        .sort(),
    );
    expect(rrs(stale.packet.answers).every((answer) => answer.ttl === STALE_ANSWER_TTL)).toBe(true);
    // After a failed refresh the stale answer comes at once, without another upstream wait.
    const started = performance.now();
    const again = await tcpQuery("127.0.0.1", port, { name: `multi.${SPLIT}`, type: "AAAA" });
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
    expect(again.packet.answers).toHaveLength(fresh.packet.answers!.length);
    const metrics = await server.metrics.render();
    expect(metrics).toMatch(/nat64_relay_dns_cache_lookups_total\{result="stale"\} 2/);
  });

  it("applies a new split-domain set without closing the listening sockets", async () => {
    const { server, port, settings } = await start({ upstreams: [nsd.address] });
    const tcp = connect({ host: "127.0.0.1", port });
    await new Promise((resolve) => tcp.once("connect", resolve));
    expect(
      rcodeOf((await udpQuery("127.0.0.1", port, { name: "plain.via1234", type: "AAAA" })).raw),
    ).toBe(5);
    const next = labSettings({
      upstreams: [nsd.address],
      splitDomains: [
        { name: SPLIT, realSuffix: "tail1234.ts.net" },
        { name: "via1234", realSuffix: "tail1234.ts.net" },
      ],
    });
    await server.reload({ ...next, listen: settings.listen });
    const { packet } = await udpQuery("127.0.0.1", port, { name: "plain.via1234", type: "AAAA" });
    expect(rrs(packet.answers).map((answer) => answer.data)).toEqual([synth(HOSTS.plain[0].data)]);
    expect(tcp.destroyed).toBe(false);
    tcp.destroy();
  });
});

describe("TCP limits", () => {
  it("closes idle connections and refuses connections past the cap", async () => {
    const { server, port } = await start({
      upstreams: [nsd.address],
      dnsTcp: { idleTimeoutMs: 1000, maxConnections: 2, maxInFlightPerConnection: 8 },
    });
    const open = () =>
      new Promise<{ closedAfterMs: Promise<number> }>((resolve) => {
        const started = performance.now();
        const socket = connect({ host: "127.0.0.1", port });
        const closed = new Promise<number>((done) =>
          socket.on("close", () => done(performance.now() - started)),
        );
        socket.on("error", () => {});
        socket.on("connect", () => resolve({ closedAfterMs: closed }));
      });
    const first = await open();
    const second = await open();
    const third = await open();
    // Wide margins: the idle timeout is 1 s, the refused connection closes at once.
    expect(await third.closedAfterMs).toBeLessThan(700);
    expect(await first.closedAfterMs).toBeGreaterThanOrEqual(990);
    expect(await second.closedAfterMs).toBeGreaterThanOrEqual(990);
    const metrics = await server.metrics.render();
    expect(metrics).toContain('nat64_relay_dns_tcp_closed_total{reason="connection_cap"} 1');
    expect(metrics).toContain('nat64_relay_dns_tcp_closed_total{reason="idle"} 2');
  });

  it("ends a connection past its lifetime: asked queries are answered, new ones are not read, then FIN", async () => {
    const { server, port } = await start({
      upstreams: [nsd.address],
      dnsTcp: { lifetimeMs: 1000, idleTimeoutMs: 5000 },
    });
    const talk = await tcpConversation(port);
    const ask = (id: number) =>
      talk.socket.write(frame(encodeAsk({ name: `plain.${SPLIT}`, type: "AAAA" }, id)));
    const started = performance.now();
    let id = 0;
    const asking = setInterval(() => ask(++id), 200);
    try {
      await talk.closed;
    } finally {
      clearInterval(asking);
      talk.socket.destroy();
    }
    const elapsed = performance.now() - started;
    // Lifetime 1 s, checked at least once a second: closed between 1 and ~2 s, not at idle (5 s).
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(4000);
    const answered = talk.received().map((answer) => answer.readUInt16BE(0));
    expect(answered.length).toBeGreaterThanOrEqual(3);
    expect(answered).toEqual(Array.from({ length: answered.length }, (_, index) => index + 1));
    expect(await server.metrics.render()).toContain(
      'nat64_relay_dns_tcp_closed_total{reason="lifetime"} 1',
    );
  });

  it("applies new TCP limits from a reload to connections already open", async () => {
    const { server, port, settings } = await start({ upstreams: [nsd.address] });
    const talk = await tcpConversation(port);
    const next = labSettings({ upstreams: [nsd.address], dnsTcp: { idleTimeoutMs: 500 } });
    await server.reload({ ...next, listen: settings.listen });
    const started = performance.now();
    await talk.closed;
    // Default idle is 10 s; the reloaded 500 ms applies to this connection.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe("metrics", () => {
  it("serves queries by type and rcode, cache lookups, upstream latency and refusals", async () => {
    const metricsPort = await freePort("127.0.0.1");
    const { server, port } = await start({
      upstreams: [nsd.address],
      metricsListen: `127.0.0.1:${metricsPort}`,
    });
    expect(server.metricsPort).toBe(metricsPort);
    await udpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" });
    await udpQuery("127.0.0.1", port, { name: `plain.${SPLIT}`, type: "AAAA" });
    await udpQuery("127.0.0.1", port, { name: `missing.${SPLIT}`, type: "AAAA" });
    await udpQuery("127.0.0.1", port, { name: "elsewhere.example", type: "A" });
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/nat64_relay_dns_queries_total\{qtype="AAAA",rcode="NOERROR"\} 2/);
    expect(text).toMatch(/nat64_relay_dns_queries_total\{qtype="AAAA",rcode="NXDOMAIN"\} 1/);
    expect(text).toMatch(/nat64_relay_dns_queries_total\{qtype="A",rcode="REFUSED"\} 1/);
    expect(text).toMatch(/nat64_relay_dns_cache_lookups_total\{result="hit"\} 1/);
    expect(text).toMatch(/nat64_relay_dns_cache_lookups_total\{result="miss"\} 2/);
    expect(text).toMatch(/nat64_relay_dns_refused_total\{reason="zone"\} 1/);
    expect(text).toMatch(
      new RegExp(
        `nat64_relay_dns_upstream_duration_seconds_count\\{upstream="${nsd.address}",outcome="answer"\\} 2`,
      ),
    );
    expect(text).toMatch(/nat64_relay_dns_cache_entries 2/);
  });
});
