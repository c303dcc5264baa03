// Every answer rule of docs/design.md, "DNS answer rules" against a real nsd upstream, over UDP
// and over TCP.
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidr, embed } from "../../../src/core/index.ts";
import type { DnsServer } from "../../../src/relay-agent/dns/dns-server.ts";
import { MAX_UDP_PAYLOAD, readName } from "../../../src/relay-agent/dns/wire.ts";
import {
  type Ask,
  encodeAsk,
  rrs,
  tcpExchange,
  tcpQuery,
  udpExchange,
  udpQuery,
} from "./dns-client.ts";
import {
  HOSTS,
  OTHER_HOST,
  PREFIX,
  REAL_NEGATIVE_TTL,
  rcodeOf,
  SPLIT,
  startRealUpstream,
  startServer,
} from "./lab.ts";
import type { NsdUpstream } from "./nsd-upstream.ts";

const synth = (ipv4: string) => embed(cidr(PREFIX), ipv4);
const aRecords = (label: keyof typeof HOSTS) =>
  HOSTS[label].filter((record) => record.type === "A");

let nsd: NsdUpstream;
let server: DnsServer;
let port: number;

beforeAll(async () => {
  nsd = await startRealUpstream("127.0.53.11");
  ({ server, port } = await startServer({ upstreams: [nsd.address], maxTtl: 300 }));
});
afterAll(async () => {
  await server?.close();
  await nsd?.stop();
});

const transports = {
  udp: (ask: Ask) => udpQuery("127.0.0.1", port, { udpPayload: MAX_UDP_PAYLOAD, ...ask }),
  tcp: (ask: Ask) => tcpQuery("127.0.0.1", port, ask),
};

/** The split SOA our server puts in authority for negative answers. */
const splitSoa = (ttl: number) =>
  expect.objectContaining({
    name: SPLIT,
    type: "SOA",
    ttl,
    data: expect.objectContaining({ mname: SPLIT, rname: `hostmaster.${SPLIT}` }),
  });

function expectHeader(packet: dnsPacket.DecodedPacket, name: string, type: string) {
  expect(packet.type).toBe("response");
  expect(packet.flag_qr).toBe(true);
  expect(packet.flag_aa).toBe(true);
  expect(packet.flag_rd).toBe(true);
  expect(packet.questions).toEqual([{ name, type, class: "IN" }]);
}

function expectOpt(packet: dnsPacket.DecodedPacket, transport: string) {
  // UDP queries carried EDNS, so the answer does too; the TCP queries did not.
  expect(packet.additionals).toEqual(
    transport === "udp"
      ? [expect.objectContaining({ type: "OPT", udpPayloadSize: MAX_UDP_PAYLOAD })]
      : [],
  );
}

describe.each(Object.entries(transports))("answers over %s", (transport, query) => {
  it("synthesizes one AAAA per A record, owner exactly as asked (0x20 case), nothing else", async () => {
    const { raw, packet } = await query({ name: `PlAiN.${SPLIT.toUpperCase()}`, type: "AAAA" });
    expect(rcodeOf(raw)).toBe(0);
    expectHeader(packet, `PlAiN.${SPLIT.toUpperCase()}`, "AAAA");
    expect(packet.answers).toEqual(
      aRecords("plain").map((record) =>
        expect.objectContaining({
          name: `PlAiN.${SPLIT.toUpperCase()}`,
          type: "AAAA",
          class: "IN",
          data: synth(record.data),
        }),
      ),
    );
    expect(rrs(packet.answers)[0]?.ttl).toBeLessThanOrEqual(aRecords("plain")[0]!.ttl);
    expect(packet.authorities).toEqual([]);
    expectOpt(packet, transport);
  });

  it("answers a host with several A records with all of them", async () => {
    const { packet } = await query({ name: `multi.${SPLIT}`, type: "AAAA" });
    expectHeader(packet, `multi.${SPLIT}`, "AAAA");
    expect(
      rrs(packet.answers)
        .map((answer) => answer.data)
        .sort(),
    ).toEqual(
      aRecords("multi")
        .map((r) => synth(r.data))
        .sort(),
    );
    expect(
      rrs(packet.answers).every(
        (answer) => answer.type === "AAAA" && answer.name === `multi.${SPLIT}`,
      ),
    ).toBe(true);
    expect(packet.authorities).toEqual([]);
    expectOpt(packet, transport);
  });

  it("flattens a CNAME chain: no CNAME anywhere, TTL = smallest along the chain", async () => {
    const { packet } = await query({ name: `chain.${SPLIT}`, type: "AAAA" });
    expectHeader(packet, `chain.${SPLIT}`, "AAAA");
    const chainTtl = Math.min(HOSTS.chain[0].ttl, HOSTS.chain2[0].ttl, HOSTS.target[0].ttl);
    expect(packet.answers).toEqual([
      expect.objectContaining({
        name: `chain.${SPLIT}`,
        type: "AAAA",
        data: synth(HOSTS.target[0].data),
      }),
    ]);
    expect(rrs(packet.answers)[0]?.ttl).toBeLessThanOrEqual(chainTtl);
    expect(rrs(packet.answers)[0]?.ttl).toBeGreaterThan(chainTtl - 5);
    expect(packet.authorities).toEqual([]);
    expectOpt(packet, transport);
  });

  it("follows a CNAME that leaves the upstream's zone with a second query", async () => {
    const { packet } = await query({ name: `outchain.${SPLIT}`, type: "AAAA" });
    expect(packet.answers).toEqual([
      expect.objectContaining({
        name: `outchain.${SPLIT}`,
        type: "AAAA",
        data: synth(OTHER_HOST.data),
      }),
    ]);
    expect(rrs(packet.answers)[0]?.ttl).toBeLessThanOrEqual(
      Math.min(HOSTS.outchain[0].ttl, OTHER_HOST.ttl),
    );
  });

  it("never passes the real name's native AAAA through", async () => {
    const { packet } = await query({ name: `dual.${SPLIT}`, type: "AAAA" });
    expect(packet.answers).toEqual([
      expect.objectContaining({
        name: `dual.${SPLIT}`,
        type: "AAAA",
        data: synth(aRecords("dual")[0]!.data),
      }),
    ]);
    expect(JSON.stringify(packet)).not.toContain(HOSTS.dual[1].data);
  });

  it("never synthesizes special-use IPv4, and answers NODATA when only those exist", async () => {
    const { packet } = await query({ name: `special.${SPLIT}`, type: "AAAA" });
    expect(rrs(packet.answers).map((answer) => answer.data)).toEqual([synth("100.101.5.5")]);
    const only = await query({ name: `allspecial.${SPLIT}`, type: "AAAA" });
    expect(rcodeOf(only.raw)).toBe(0);
    expect(only.packet.answers).toEqual([]);
    expect(only.packet.authorities).toEqual([splitSoa(300)]);
  });

  it("answers NODATA with the split SOA when the real name has no A record", async () => {
    const { raw, packet } = await query({ name: `txtonly.${SPLIT}`, type: "AAAA" });
    expect(rcodeOf(raw)).toBe(0);
    expectHeader(packet, `txtonly.${SPLIT}`, "AAAA");
    expect(packet.answers).toEqual([]);
    expect(packet.authorities).toEqual([splitSoa(REAL_NEGATIVE_TTL)]);
  });

  it("passes NXDOMAIN through with the split SOA", async () => {
    const { raw, packet } = await query({ name: `missing.${SPLIT}`, type: "AAAA" });
    expect(rcodeOf(raw)).toBe(3);
    expectHeader(packet, `missing.${SPLIT}`, "AAAA");
    expect(packet.answers).toEqual([]);
    expect(packet.authorities).toEqual([splitSoa(REAL_NEGATIVE_TTL)]);
    expectOpt(packet, transport);
  });

  it("answers A, MX, TXT, SRV, HTTPS, SVCB and ANY with NODATA and the split SOA", async () => {
    for (const type of ["A", "MX", "TXT", "SRV"] as const) {
      const { raw, packet } = await query({ name: `plain.${SPLIT}`, type });
      expect(rcodeOf(raw)).toBe(0);
      expectHeader(packet, `plain.${SPLIT}`, type);
      expect(packet.answers).toEqual([]);
      expect(packet.authorities).toEqual([splitSoa(60)]);
    }
    for (const qtype of [65, 64, 255]) {
      // HTTPS, SVCB, ANY: dns-packet cannot name them, so the QTYPE is written directly.
      const message = encodeAsk({ name: `plain.${SPLIT}`, type: "A" }, 99);
      message.writeUInt16BE(qtype, message.length - 4);
      const raw =
        transport === "tcp"
          ? (await tcpExchange("127.0.0.1", port, [message]))[0]!
          : await udpExchange("127.0.0.1", port, message);
      const packet = dnsPacket.decode(raw);
      expect(rcodeOf(raw)).toBe(0);
      const questionEnd = readName(raw, 12)!.next;
      expect(raw.readUInt16BE(questionEnd)).toBe(qtype);
      expect(packet.answers).toEqual([]);
      expect(packet.authorities).toEqual([splitSoa(60)]);
    }
  });

  it("answers SOA and NS at the split apex itself", async () => {
    const soa = await query({ name: SPLIT, type: "SOA" });
    expectHeader(soa.packet, SPLIT, "SOA");
    expect(soa.packet.answers).toEqual([splitSoa(60)]);
    expect(soa.packet.authorities).toEqual([]);
    const ns = await query({ name: SPLIT, type: "NS" });
    expect(ns.packet.answers).toEqual([
      expect.objectContaining({ name: SPLIT, type: "NS", data: SPLIT }),
    ]);
  });

  it("refuses names outside every split zone", async () => {
    const { raw, packet } = await query({ name: "plain.tail1234.ts.net", type: "AAAA" });
    expect(rcodeOf(raw)).toBe(5);
    expect(packet.flag_aa).toBe(false);
    expect(packet.questions).toEqual([
      { name: "plain.tail1234.ts.net", type: "AAAA", class: "IN" },
    ]);
    expect(packet.answers).toEqual([]);
    expect(packet.authorities).toEqual([]);
  });
});

describe("answers too large for UDP", () => {
  const count = aRecords("big").length;

  it("sets TC over UDP without EDNS (512 octets), leaving the records out", async () => {
    const { raw, packet } = await udpQuery("127.0.0.1", port, {
      name: `big.${SPLIT}`,
      type: "AAAA",
    });
    expect(packet.flag_tc).toBe(true);
    expect(raw.length).toBeLessThanOrEqual(512);
    expect(packet.questions).toEqual([{ name: `big.${SPLIT}`, type: "AAAA", class: "IN" }]);
    expect(packet.answers).toEqual([]);
    expect(packet.additionals).toEqual([]);
  });

  it("sets TC over UDP when the client's EDNS buffer is too small", async () => {
    const { raw, packet } = await udpQuery("127.0.0.1", port, {
      name: `big.${SPLIT}`,
      type: "AAAA",
      udpPayload: 1232,
    });
    expect(packet.flag_tc).toBe(true);
    expect(raw.length).toBeLessThanOrEqual(1232);
    expect(packet.answers).toEqual([]);
    expect(packet.additionals).toEqual([expect.objectContaining({ type: "OPT" })]);
  });

  const sortedData = (answers: dnsPacket.DecodedPacket["answers"]) =>
    rrs(answers)
      .map((answer) => answer.data)
      .sort();
  const sortedSynth = (records: readonly { data: string }[]) =>
    records.map((r) => synth(r.data)).sort();

  it("answers over TCP with the upstream's first maxAddressesPerName (default 64) addresses", async () => {
    const { packet } = await tcpQuery("127.0.0.1", port, { name: `big.${SPLIT}`, type: "AAAA" });
    expect(packet.flag_tc).toBe(false);
    expect(sortedData(packet.answers)).toEqual(sortedSynth(aRecords("big").slice(0, 64)));
  });

  it("answers in full over TCP with a higher cap (the upstream's own TC was retried over TCP too)", async () => {
    const wide = await startServer({ upstreams: [nsd.address], maxAddressesPerName: count });
    try {
      const { packet } = await tcpQuery("127.0.0.1", wide.port, {
        name: `big.${SPLIT}`,
        type: "AAAA",
      });
      expect(packet.flag_tc).toBe(false);
      expect(packet.answers).toHaveLength(count);
      expect(sortedData(packet.answers)).toEqual(sortedSynth(aRecords("big")));
    } finally {
      await wide.server.close();
    }
  });
});

describe("DNS over TCP (RFC 7766)", () => {
  it("answers several pipelined queries on one connection, each matched by ID", async () => {
    const asks: Ask[] = [
      { name: `plain.${SPLIT}`, type: "AAAA" },
      { name: `missing.${SPLIT}`, type: "AAAA" },
      { name: SPLIT, type: "SOA" },
      { name: `multi.${SPLIT}`, type: "AAAA" },
      { name: "elsewhere.example", type: "AAAA" },
    ];
    const answers = await tcpExchange(
      "127.0.0.1",
      port,
      asks.map((ask, index) => encodeAsk(ask, 1000 + index)),
    );
    const byId = new Map(answers.map((raw) => [raw.readUInt16BE(0), raw]));
    expect([...byId.keys()].sort()).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(rcodeOf(byId.get(1000)!)).toBe(0);
    expect(rcodeOf(byId.get(1001)!)).toBe(3);
    expect(dnsPacket.decode(byId.get(1002)!).answers?.[0]?.type).toBe("SOA");
    expect(dnsPacket.decode(byId.get(1003)!).answers).toHaveLength(aRecords("multi").length);
    expect(rcodeOf(byId.get(1004)!)).toBe(5);
    for (const [index, ask] of asks.entries()) {
      expect(dnsPacket.decode(byId.get(1000 + index)!).questions?.[0]?.name).toBe(ask.name);
    }
  });
});
