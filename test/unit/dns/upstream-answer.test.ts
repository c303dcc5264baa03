import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { followChain, readUpstreamReply } from "../../../src/relay-agent/dns/upstream-answer.ts";
import { nameToKey } from "../../../src/relay-agent/dns/wire.ts";

const SOA_RECORD = {
  type: "SOA",
  name: "ts.net",
  ttl: 900,
  data: { mname: "ns", rname: "h", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 45 },
} as dnsPacket.Answer;

function reply(packet: Partial<dnsPacket.Packet>, id = 9, name = "host.ts.net") {
  return dnsPacket.encode({ type: "response", id, questions: [{ type: "A", name }], ...packet });
}

const read = (message: Buffer, id = 9, name = "host.ts.net") =>
  readUpstreamReply(message, id, nameToKey(name), 1);

describe("reading upstream replies", () => {
  it("discards replies whose ID, question or type do not match", () => {
    expect(read(reply({}, 10)).kind).toBe("mismatch");
    expect(read(reply({}, 9, "other.ts.net")).kind).toBe("mismatch");
    expect(readUpstreamReply(reply({}), 9, nameToKey("host.ts.net"), 28).kind).toBe("mismatch");
    const query = dnsPacket.encode({
      type: "query",
      id: 9,
      questions: [{ type: "A", name: "host.ts.net" }],
    });
    expect(read(query).kind).toBe("mismatch");
  });

  it("keeps each address once, in first-seen order, even in a 4,000-record reply", () => {
    const distinct = Array.from({ length: 2000 }, (_, i) => `100.64.${i >> 8}.${i & 255}`);
    const answers = [...distinct, ...distinct].map(
      (data) => ({ type: "A", name: "host.ts.net", ttl: 60, data }) as dnsPacket.Answer,
    );
    const parsed = read(reply({ answers }));
    expect(parsed.kind).toBe("answer");
    if (parsed.kind !== "answer") return;
    const ipv4s = parsed.addresses.get(nameToKey("host.ts.net"))?.ipv4s ?? [];
    expect(ipv4s).toHaveLength(2000);
    expect(ipv4s.slice(0, 2)).toEqual([0x64400000, 0x64400001]);
    expect(new Set(ipv4s).size).toBe(2000);
  });

  it("matches the question whatever its letter case", () => {
    expect(read(reply({}, 9, "HOST.ts.NET")).kind).toBe("answer");
  });

  it("reports TC as truncated and SERVFAIL/REFUSED as failures", () => {
    expect(read(reply({ flags: dnsPacket.TRUNCATED_RESPONSE })).kind).toBe("truncated");
    expect(read(reply({ flags: 2 }))).toEqual({ kind: "failure", rcode: 2 });
    expect(read(reply({ flags: 5 }))).toEqual({ kind: "failure", rcode: 5 });
  });
});

describe("following CNAME chains", () => {
  it("flattens a chain and takes the smallest TTL along it", () => {
    const message = reply({
      answers: [
        { type: "CNAME", name: "host.ts.net", ttl: 600, data: "mid.ts.net" },
        { type: "CNAME", name: "mid.ts.net", ttl: 40, data: "end.ts.net" },
        { type: "A", name: "end.ts.net", ttl: 300, data: "100.64.1.1" },
        { type: "A", name: "end.ts.net", ttl: 200, data: "100.64.1.2" },
        { type: "A", name: "unrelated.ts.net", ttl: 1, data: "100.64.9.9" },
      ],
    });
    const parsed = read(message);
    if (parsed.kind !== "answer") throw new Error(parsed.kind);
    expect(followChain(parsed, nameToKey("host.ts.net"))).toEqual({
      kind: "done",
      lookup: { kind: "addresses", ipv4s: [0x64400101, 0x64400102], ttl: 40 },
    });
  });

  it("ignores native AAAA records in the reply", () => {
    const parsed = read(
      reply({
        answers: [
          { type: "AAAA", name: "host.ts.net", ttl: 60, data: "2001:db8::1" },
          { type: "A", name: "host.ts.net", ttl: 60, data: "100.64.1.1" },
        ],
      }),
    );
    if (parsed.kind !== "answer") throw new Error(parsed.kind);
    expect(followChain(parsed, nameToKey("host.ts.net"))).toEqual({
      kind: "done",
      lookup: { kind: "addresses", ipv4s: [0x64400101], ttl: 60 },
    });
  });

  it("turns NXDOMAIN and NODATA into negative answers timed by the SOA (RFC 2308 §5)", () => {
    const nx = read(reply({ flags: 3, authorities: [SOA_RECORD] }));
    if (nx.kind !== "answer") throw new Error(nx.kind);
    expect(followChain(nx, nameToKey("host.ts.net"))).toEqual({
      kind: "done",
      lookup: { kind: "nxdomain", ttl: 45 },
    });
    const nodata = read(reply({ authorities: [SOA_RECORD] }));
    if (nodata.kind !== "answer") throw new Error(nodata.kind);
    expect(followChain(nodata, nameToKey("host.ts.net"))).toEqual({
      kind: "done",
      lookup: { kind: "nodata", ttl: 45 },
    });
  });

  it("asks to continue when the chain leaves the reply without a SOA", () => {
    const parsed = read(
      reply({
        answers: [{ type: "CNAME", name: "host.ts.net", ttl: 70, data: "elsewhere.example" }],
      }),
    );
    if (parsed.kind !== "answer") throw new Error(parsed.kind);
    expect(followChain(parsed, nameToKey("host.ts.net"))).toEqual({
      kind: "continue",
      next: nameToKey("elsewhere.example"),
      ttl: 70,
    });
  });

  it("stops on CNAME loops", () => {
    const parsed = read(
      reply({
        answers: [
          { type: "CNAME", name: "host.ts.net", ttl: 70, data: "loop.ts.net" },
          { type: "CNAME", name: "loop.ts.net", ttl: 70, data: "host.ts.net" },
        ],
      }),
    );
    if (parsed.kind !== "answer") throw new Error(parsed.kind);
    expect(followChain(parsed, nameToKey("host.ts.net")).kind).toBe("done");
  });
});
