import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { cidr, embed } from "../../../src/core/index.ts";
import { embeddingTemplate } from "../../../src/relay-agent/dns/synthesis.ts";
import {
  encodeAnswer,
  encodeBare,
  keyToName,
  MAX_UDP_PAYLOAD,
  nameToKey,
  newParsedQuery,
  ParseStatus,
  parseQuery,
  Rcode,
  readName,
} from "../../../src/relay-agent/dns/wire.ts";

const SOA = { serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 60 };

function query(name: string, type: dnsPacket.RecordType = "AAAA", edns?: number): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
    additionals:
      edns === undefined
        ? []
        : [
            {
              type: "OPT",
              name: ".",
              udpPayloadSize: edns,
              flags: 0,
              options: [],
            } as unknown as dnsPacket.Answer,
          ],
  });
}

function parse(message: Uint8Array) {
  const parsed = newParsedQuery();
  return { status: parseQuery(message, parsed), parsed };
}

describe("reading queries", () => {
  it("reads id, type, class and a lower-cased wire key, keeping label offsets", () => {
    const { status, parsed } = parse(query("HoSt.R9929", "AAAA"));
    expect(status).toBe(ParseStatus.OK);
    expect(parsed.id).toBe(0x1234);
    expect(parsed.qtype).toBe(28);
    expect(parsed.qclass).toBe(1);
    expect(parsed.key).toBe(nameToKey("host.r9929"));
    expect(keyToName(parsed.key)).toBe("host.r9929");
    expect([...parsed.labelStarts.slice(0, parsed.labelCount)]).toEqual([0, 5]);
    expect(parsed.edns).toBe(false);
    expect(parsed.udpPayload).toBe(512);
  });

  it("reads the client's EDNS payload size and never goes below 512", () => {
    expect(parse(query("a.r9929", "AAAA", 4096)).parsed.udpPayload).toBe(4096);
    expect(parse(query("a.r9929", "AAAA", 100)).parsed.udpPayload).toBe(512);
  });

  it("drops messages shorter than a header and responses", () => {
    expect(parse(Buffer.alloc(11)).status).toBe(ParseStatus.DROP);
    const response = query("a.r9929");
    response[2]! |= 0x80;
    expect(parse(response).status).toBe(ParseStatus.DROP);
  });

  it("answers NOTIMP for opcodes other than QUERY", () => {
    const notify = query("a.r9929");
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    expect(parse(notify).status).toBe(ParseStatus.NOTIMP);
  });

  it("answers FORMERR for wrong section counts and multiple questions", () => {
    const two = query("a.r9929");
    two.writeUInt16BE(2, 4);
    expect(parse(two).status).toBe(ParseStatus.FORMERR);
    const none = query("a.r9929");
    none.writeUInt16BE(0, 4);
    expect(parse(none).status).toBe(ParseStatus.FORMERR);
    const answers = query("a.r9929");
    answers.writeUInt16BE(1, 6);
    expect(parse(answers).status).toBe(ParseStatus.FORMERR);
    const additionals = query("a.r9929");
    additionals.writeUInt16BE(3, 10);
    expect(parse(additionals).status).toBe(ParseStatus.FORMERR);
  });

  it("answers FORMERR for truncated questions, pointers and reserved label types in the question", () => {
    const whole = query("abc.r9929");
    for (let cut = 12; cut < whole.length; cut++) {
      expect(parse(whole.subarray(0, cut)).status).toBe(ParseStatus.FORMERR);
    }
    const pointer = Buffer.concat([whole.subarray(0, 12), Buffer.from([0xc0, 12, 0, 28, 0, 1])]);
    expect(parse(pointer).status).toBe(ParseStatus.FORMERR);
    const reserved = Buffer.concat([whole.subarray(0, 12), Buffer.from([0x41, 0, 0, 28, 0, 1])]);
    expect(parse(reserved).status).toBe(ParseStatus.FORMERR);
  });

  it("answers FORMERR for names longer than 255 octets", () => {
    const labels = Buffer.concat(
      Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 97)])),
    );
    const message = Buffer.concat([
      query("x").subarray(0, 12),
      labels,
      Buffer.from([0, 0, 28, 0, 1]),
    ]);
    expect(parse(message).status).toBe(ParseStatus.FORMERR);
  });

  it("answers FORMERR for two OPT records and BADVERS for EDNS version 1", () => {
    const once = query("a.r9929", "AAAA", 1232);
    const opt = once.subarray(once.length - 11);
    const twice = Buffer.concat([once, opt]);
    twice.writeUInt16BE(2, 10);
    expect(parse(twice).status).toBe(ParseStatus.FORMERR);
    const version1 = Buffer.from(once);
    version1[version1.length - 11 + 6] = 1;
    expect(parse(version1).status).toBe(ParseStatus.BADVERS);
  });
});

describe("reading names in upstream replies", () => {
  it("follows backward compression pointers", () => {
    const message = dnsPacket.encode({
      type: "response",
      id: 1,
      questions: [{ type: "A", name: "Host.Example" }],
      answers: [{ type: "CNAME", name: "host.example", data: "other.example" }],
    });
    const question = readName(message, 12);
    expect(question?.key).toBe(nameToKey("host.example"));
  });

  it("refuses pointer loops and forward pointers", () => {
    const selfLoop = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 12]);
    expect(readName(selfLoop, 12)).toBeUndefined();
    const twoStep = Buffer.from([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 97, 0xc0, 16, 1, 98, 0xc0, 12,
    ]);
    expect(readName(twoStep, 16)).toBeUndefined();
    const forward = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0]);
    expect(readName(forward, 12)).toBeUndefined();
  });
});

describe("writing answers", () => {
  const template = embeddingTemplate(cidr("fd4e:2a91:7c3d:6464::/96"));
  const hostIpv4 = 0x64650101; // 100.101.1.1

  it("answers AAAA with the owner pointing at the question, so the client's case is kept", () => {
    const message = query("PlAiN.r9929", "AAAA", 1232);
    const { parsed } = parse(message);
    const answer = encodeAnswer(
      message,
      parsed,
      6,
      SOA,
      { rcode: Rcode.NOERROR, aaaa: { template, ipv4s: [hostIpv4] }, answerTtl: 42 },
      MAX_UDP_PAYLOAD,
    );
    const decoded = dnsPacket.decode(answer);
    expect(decoded.id).toBe(0x1234);
    expect(decoded.flag_qr && decoded.flag_aa && decoded.flag_rd).toBe(true);
    expect(decoded.questions).toEqual([{ name: "PlAiN.r9929", type: "AAAA", class: "IN" }]);
    expect(decoded.answers).toEqual([
      expect.objectContaining({
        name: "PlAiN.r9929",
        type: "AAAA",
        ttl: 42,
        data: embed(cidr("fd4e:2a91:7c3d:6464::/96"), "100.101.1.1"),
      }),
    ]);
    expect(decoded.authorities).toEqual([]);
    expect(decoded.additionals).toEqual([
      expect.objectContaining({ type: "OPT", udpPayloadSize: MAX_UDP_PAYLOAD }),
    ]);
  });

  it("puts the split zone's SOA in authority for negative answers", () => {
    const message = query("nope.r9929", "A");
    const { parsed } = parse(message);
    const answer = encodeAnswer(
      message,
      parsed,
      5,
      SOA,
      { rcode: Rcode.NXDOMAIN, authoritySoaTtl: 30 },
      512,
    );
    const decoded = dnsPacket.decode(answer);
    expect(answer[3]! & 0x0f).toBe(Rcode.NXDOMAIN);
    expect(decoded.answers).toEqual([]);
    expect(decoded.authorities).toEqual([
      expect.objectContaining({
        name: "r9929",
        type: "SOA",
        ttl: 30,
        data: expect.objectContaining({
          mname: "r9929",
          rname: "hostmaster.r9929",
          serial: 7,
          minimum: 60,
        }),
      }),
    ]);
  });

  it("sets TC and leaves the records out when the answer does not fit", () => {
    const many = Array.from({ length: 30 }, (_, index) => hostIpv4 + index);
    const message = query("big.r9929", "AAAA");
    const { parsed } = parse(message);
    const answer = encodeAnswer(
      message,
      parsed,
      4,
      SOA,
      { rcode: Rcode.NOERROR, aaaa: { template, ipv4s: many }, answerTtl: 5 },
      512,
    );
    const decoded = dnsPacket.decode(answer);
    expect(decoded.flag_tc).toBe(true);
    expect(decoded.questions).toHaveLength(1);
    expect(decoded.answers).toEqual([]);
    expect(answer.length).toBeLessThanOrEqual(512);
  });

  it("writes BADVERS as extended rcode 16 in the OPT record", () => {
    const message = query("a.r9929", "AAAA", 1232);
    message[message.length - 11 + 6] = 1;
    const { parsed } = parse(message);
    const answer = encodeBare(message, parsed, Rcode.BADVERS, { withQuestion: true });
    const decoded = dnsPacket.decode(answer);
    expect(answer[3]! & 0x0f).toBe(0);
    expect(decoded.additionals?.[0]).toEqual(
      expect.objectContaining({ type: "OPT", extendedRcode: 1 }),
    );
  });
});
