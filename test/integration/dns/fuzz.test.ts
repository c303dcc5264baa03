// Throws well over 100,000 random and mutated packets at the server (in-process handler, the
// real UDP socket and TCP connections), then checks it still answers correctly.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import dnsPacket from "dns-packet";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cidr, embed } from "../../../src/core/index.ts";
import { DnsServer } from "../../../src/relay-agent/dns/dns-server.ts";
import { FakeUpstreamClient } from "../../fakes/fake-upstream-client.ts";
import { encodeAsk, frame, rrs, tcpQuery, udpQuery } from "./dns-client.ts";
import { labSettings, PREFIX, REAL, rcodeOf, SPLIT } from "./lab.ts";
import { type TcpConversation, tcpConversation } from "./tcp-conversation.ts";

const HANDLER_PACKETS = 100_000;
const UDP_PACKETS = 20_000;
const TCP_PACKETS = 2_000;
const SEED = Number(process.env.DNS_FUZZ_SEED ?? 0x5eed);
/** The fuzz server's dnsTcp.queryTimeoutMs: short, so stalled frames close quickly. */
const QUERY_TIMEOUT_MS = 500;

/** mulberry32: a small seeded PRNG so a failure can be replayed with DNS_FUZZ_SEED. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(SEED);
const int = (max: number) => Math.floor(random() * max);

const CORPUS: Buffer[] = [
  encodeAsk({ name: `web.${SPLIT}`, type: "AAAA" }, 1),
  encodeAsk({ name: `WeB.${SPLIT}`, type: "AAAA", udpPayload: 1232 }, 2),
  encodeAsk({ name: `web.${SPLIT}`, type: "A" }, 3),
  encodeAsk({ name: SPLIT, type: "SOA", udpPayload: 4096 }, 4),
  encodeAsk({ name: `a.b.c.${SPLIT}`, type: "AAAA" }, 5),
  encodeAsk({ name: "outside.example", type: "AAAA" }, 6),
  // A name whose labels compress onto each other: a classic loop when mutated.
  Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 119, 101, 98, 0xc0, 12, 0, 28, 0, 1]),
];

function mutate(seed: Buffer): Buffer {
  const packet = Buffer.from(seed);
  if (packet.length < 13) return Buffer.concat([packet, Buffer.from([int(256)])]);
  switch (int(7)) {
    case 0: // flip a few bytes
      for (let i = int(8) + 1; i > 0; i--) packet[int(packet.length)] = int(256);
      return packet;
    case 1: // truncate
      return packet.subarray(0, int(packet.length));
    case 2: // lie about section counts
      packet.writeUInt16BE(int(4) === 0 ? 0xffff : int(4), 4 + 2 * int(4));
      return packet;
    case 3: // compression pointer or reserved label type somewhere in the name
      packet[12 + int(Math.max(1, packet.length - 12))] = 0xc0 | int(4);
      return packet;
    case 4: // other opcodes, QR, rcode bits
      packet[2] = int(256);
      packet[3] = int(256);
      return packet;
    case 5: // trailing garbage
      return Buffer.concat([packet, Buffer.from(Array.from({ length: int(64) }, () => int(256)))]);
    default: // an oversized label length
      packet[12] = 63 + int(192);
      return packet;
  }
}

function randomPacket(): Buffer {
  if (int(4) === 0) return Buffer.from(Array.from({ length: int(600) }, () => int(256)));
  let packet = CORPUS[int(CORPUS.length)]!;
  for (let rounds = int(3) + 1; rounds > 0; rounds--) packet = mutate(packet);
  return packet;
}

let server: DnsServer;
let port: number;
const upstream = new FakeUpstreamClient();
const synth = (ipv4: string) => embed(cidr(PREFIX), ipv4);

beforeAll(async () => {
  upstream.set(`web.${REAL}`, [{ type: "A", data: "100.100.1.2", ttl: 300 }]);
  server = await DnsServer.start(
    labSettings({ upstreams: ["127.0.0.1:9"], dnsTcp: { queryTimeoutMs: QUERY_TIMEOUT_MS } }),
    {
      logger: pino({ level: "silent" }),
      upstreamClient: () => upstream,
    },
  );
  port = server.boundAddresses()[0]!.udpPort;
});
afterAll(async () => {
  await server?.close();
});

async function expectHealthy(): Promise<void> {
  const udp = await udpQuery("127.0.0.1", port, { name: `WEB.${SPLIT}`, type: "AAAA" });
  expect(rcodeOf(udp.raw)).toBe(0);
  expect(rrs(udp.packet.answers)).toEqual([
    expect.objectContaining({ name: `WEB.${SPLIT}`, type: "AAAA", data: synth("100.100.1.2") }),
  ]);
  const tcp = await tcpQuery("127.0.0.1", port, { name: SPLIT, type: "SOA" });
  expect(rrs(tcp.packet.answers)).toEqual([expect.objectContaining({ type: "SOA", name: SPLIT })]);
}

describe(`fuzzing the DNS server (seed ${SEED})`, () => {
  it("answers every fuzzed packet with a well-formed message or drops it, and never crashes", async () => {
    let answered = 0;
    let dropped = 0;
    let pending = 0;
    const problems: string[] = [];
    const check = (query: Buffer) => (answer: Buffer) => {
      pending--;
      answered++;
      if (
        answer.length < 12 ||
        answer.readUInt16BE(0) !== query.readUInt16BE(0) ||
        !(answer[2]! & 0x80)
      ) {
        problems.push(`bad header for ${query.toString("hex")}`);
        return;
      }
      try {
        dnsPacket.decode(answer);
      } catch (error) {
        problems.push(
          `undecodable answer ${answer.toString("hex")} to ${query.toString("hex")}: ${error}`,
        );
      }
    };
    for (let i = 0; i < HANDLER_PACKETS; i++) {
      const query = randomPacket();
      pending++;
      const source = int(10) === 0 ? "192.0.2.77" : "127.0.0.1";
      if (!server.handler.handle(query, source, int(2) ? "udp" : "tcp", check(query))) {
        pending--;
        dropped++;
      }
    }
    const deadline = Date.now() + 5000;
    while (pending > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(problems.slice(0, 5)).toEqual([]);
    expect(pending).toBe(0);
    expect(answered + dropped).toBe(HANDLER_PACKETS);
    expect(answered).toBeGreaterThan(HANDLER_PACKETS / 2);
    // The fuzz reached every kind of answer, not just one error path.
    const metrics = await server.metrics.render();
    for (const rcode of ["NOERROR", "FORMERR", "NOTIMP", "REFUSED", "NXDOMAIN", "SERVFAIL"]) {
      expect(metrics).toMatch(
        new RegExp(`nat64_relay_dns_queries_total\\{qtype="[^"]+",rcode="${rcode}"\\} [1-9]`),
      );
    }
    await expectHealthy();
  });

  /** Resolves once `count()` has not grown for 50 ms, or after 2 s. */
  async function repliesSettle(count: () => number): Promise<void> {
    const deadline = Date.now() + 2000;
    let last = -1;
    while (Date.now() < deadline && count() !== last) {
      last = count();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("survives the same over the real UDP socket and TCP connections", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    let replies = 0;
    socket.on("message", () => {
      replies++;
    });
    for (let sent = 0; sent < UDP_PACKETS; sent += 500) {
      await Promise.all(
        Array.from(
          { length: 500 },
          () =>
            new Promise<void>((resolve) =>
              socket.send(randomPacket(), port, "127.0.0.1", () => resolve()),
            ),
        ),
      );
      // Paced: the next batch waits until this one's replies stop coming (2 s at most), so
      // what is counted is the server's answers, not the kernel dropping an unread backlog on
      // a loaded machine.
      await repliesSettle(() => replies);
    }
    for (let connection = 0; connection < 20; connection++) {
      await new Promise<void>((resolve) => {
        const tcp = connect({ host: "127.0.0.1", port });
        tcp.on("error", () => resolve());
        tcp.on("close", () => resolve());
        tcp.on("data", () => {});
        tcp.on("connect", () => {
          const frames = Array.from({ length: TCP_PACKETS / 20 }, () => {
            const packet = randomPacket();
            const framed = Buffer.alloc(2 + packet.length);
            // Now and then a length that lies about what follows.
            framed.writeUInt16BE(int(20) === 0 ? int(65536) : packet.length, 0);
            packet.copy(framed, 2);
            return framed;
          });
          tcp.end(Buffer.concat(frames));
          setTimeout(() => tcp.destroy(), 300);
        });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.close();
    expect(replies).toBeGreaterThan(UDP_PACKETS / 4);
    await expectHealthy();
  });

  describe("TCP framing (RFC 7766 §8: a length prefix, then the message)", () => {
    const valid = (id: number) => encodeAsk({ name: `web.${SPLIT}`, type: "AAAA" }, id);
    const idsOf = (answers: Buffer[]) => answers.map((answer) => answer.readUInt16BE(0));
    let talk: TcpConversation | undefined;
    afterEach(() => talk?.socket.destroy());

    it("answers a query sent one byte per write", async () => {
      talk = await tcpConversation(port);
      for (const byte of frame(valid(101))) {
        talk.socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(idsOf(await talk.answers(1))).toEqual([101]);
    });

    it("answers every frame of a stream cut at random points, merged and split alike", async () => {
      for (let round = 0; round < 20; round++) {
        talk = await tcpConversation(port);
        const ids = Array.from({ length: 1 + int(40) }, (_, index) => round * 100 + index);
        const stream = Buffer.concat(ids.map((id) => frame(valid(id))));
        for (let offset = 0; offset < stream.length; ) {
          const size = 1 + int(Math.min(200, stream.length - offset));
          talk.socket.write(stream.subarray(offset, offset + size));
          offset += size;
          if (int(3) === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        expect(idsOf(await talk.answers(ids.length)).sort((a, b) => a - b)).toEqual(ids);
        talk.socket.destroy();
      }
    });

    it("drops zero-length and shorter-than-a-header frames and answers the next one", async () => {
      talk = await tcpConversation(port);
      talk.socket.write(
        Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.from([1, 2, 3])), frame(valid(202))]),
      );
      expect(idsOf(await talk.answers(1))).toEqual([202]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(talk.received()).toHaveLength(1);
      expect(talk.socket.destroyed).toBe(false);
    });

    it("closes a connection whose length prefix promises more than ever arrives, at the query deadline", async () => {
      const metricsBefore = await server.metrics.render();
      const before = Number(/reason="query_timeout"\} (\d+)/.exec(metricsBefore)?.[1]);
      talk = await tcpConversation(port);
      const started = performance.now();
      talk.socket.write(Buffer.concat([frame(valid(303)), frame(valid(304), 0xffff)]));
      expect(idsOf(await talk.answers(1))).toEqual([303]);
      await talk.closed;
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 20);
      // Checked at least once a second: well before the 10 s idle timeout.
      expect(elapsed).toBeLessThan(5000);
      const after = await server.metrics.render();
      expect(Number(/reason="query_timeout"\} (\d+)/.exec(after)?.[1])).toBe(before + 1);
    });

    it("answers every query of a half-closed connection, then closes it", async () => {
      talk = await tcpConversation(port);
      talk.socket.end(Buffer.concat([frame(valid(401)), frame(valid(402)), frame(valid(403))]));
      await talk.closed;
      expect(idsOf(talk.received()).sort()).toEqual([401, 402, 403]);
    });

    it("answers the complete frames of a half-closed connection and discards a cut-off last one", async () => {
      talk = await tcpConversation(port);
      const cut = frame(valid(502)).subarray(0, 9);
      talk.socket.end(Buffer.concat([frame(valid(501)), cut]));
      await talk.closed;
      expect(idsOf(talk.received())).toEqual([501]);
    });

    it("survives random frames with lying lengths over many connections, then answers normally", async () => {
      for (let connection = 0; connection < 30; connection++) {
        talk = await tcpConversation(port);
        const frames = Array.from({ length: 1 + int(30) }, () => {
          const packet = randomPacket();
          const roll = int(10);
          // Lengths that lie: zero, one short, one long, or the maximum.
          const length =
            roll === 0
              ? 0
              : roll === 1
                ? Math.max(0, packet.length - 1)
                : roll === 2
                  ? packet.length + 1
                  : roll === 3
                    ? 0xffff
                    : packet.length;
          return frame(packet, length);
        });
        const stream = Buffer.concat(frames);
        for (let offset = 0; offset < stream.length; ) {
          const size = 1 + int(300);
          talk.socket.write(stream.subarray(offset, offset + size));
          offset += size;
        }
        if (int(2)) talk.socket.end();
        await Promise.race([talk.closed, new Promise((resolve) => setTimeout(resolve, 50))]);
        talk.socket.destroy();
      }
      await expectHealthy();
    });
  });
});
