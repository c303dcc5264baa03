import { describe, expect, it } from "vitest";
import {
  cidr,
  embed,
  formatIpv6,
  isNeverSynthesizedIpv4,
  parseIpv6,
} from "../../../src/core/index.ts";
import {
  answerFromSynthesized,
  answerWithoutUpstream,
  embeddingTemplate,
  ipv4Text,
  isNeverSynthesized,
  needsUpstream,
  synthesizeFromA,
} from "../../../src/relay-agent/dns/synthesis.ts";
import { Rcode, RRType } from "../../../src/relay-agent/dns/wire.ts";

const PREFIX = cidr("fd4e:2a91:7c3d:6464::/96");
const ip = (text: string) =>
  text.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
const TEMPLATE = embeddingTemplate(PREFIX);

describe("RFC 6052 embedding template", () => {
  it("places the IPv4 octets where core's embed puts them, for every prefix length", () => {
    for (const prefix of [
      "fd4e:2a91:7c3d:6464::/96",
      "fd4e:2a91:7c3d:6400::/64",
      "fd4e:2a91:7c3d:6400::/56",
      "fd4e:2a91:7c3d::/48",
      "fd4e:2a91:7c00::/40",
      "fd4e:2a91::/32",
    ]) {
      const template = embeddingTemplate(cidr(prefix));
      const bytes = Uint8Array.from(template.base);
      const ipv4 = ip("203.0.113.9");
      template.octetOffsets.forEach((offset, index) => {
        bytes[offset] = (ipv4 >>> (24 - index * 8)) & 0xff;
      });
      const text = Array.from({ length: 8 }, (_, group) =>
        ((bytes[group * 2]! << 8) | bytes[group * 2 + 1]!).toString(16),
      ).join(":");
      expect(formatIpv6(parseIpv6(text)!)).toBe(embed(cidr(prefix), "203.0.113.9"));
    }
  });
});

describe("AAAA synthesis from the real name's A records", () => {
  it("keeps every usable IPv4 in order", () => {
    const result = synthesizeFromA(
      { kind: "addresses", ipv4s: [ip("100.101.1.1"), ip("203.0.113.9")], ttl: 120 },
      300,
    );
    expect(result).toEqual({
      kind: "addresses",
      ipv4s: [ip("100.101.1.1"), ip("203.0.113.9")],
      ttl: 120,
    });
    if (result.kind !== "addresses") return;
    expect(result.ipv4s.map(ipv4Text)).toEqual(["100.101.1.1", "203.0.113.9"]);
  });

  it("caps the TTL at maxTtl", () => {
    expect(
      synthesizeFromA({ kind: "addresses", ipv4s: [ip("100.101.1.1")], ttl: 86400 }, 300).ttl,
    ).toBe(300);
    expect(synthesizeFromA({ kind: "nxdomain", ttl: 900 }, 60)).toEqual({
      kind: "nxdomain",
      ttl: 60,
    });
  });

  it("never synthesizes special-use IPv4 and answers NODATA when nothing else is left", () => {
    const mixed = synthesizeFromA(
      {
        kind: "addresses",
        ipv4s: [
          "0.1.2.3",
          "127.0.0.1",
          "169.254.169.254",
          "224.0.0.1",
          "255.255.255.255",
          "100.101.5.5",
        ].map(ip),
        ttl: 60,
      },
      300,
    );
    expect(mixed.kind === "addresses" && mixed.ipv4s.map(ipv4Text)).toEqual(["100.101.5.5"]);
    expect(synthesizeFromA({ kind: "addresses", ipv4s: [ip("127.0.0.1")], ttl: 60 }, 300)).toEqual({
      kind: "nodata",
      ttl: 60,
    });
  });

  it("decides special-use IPv4 exactly as core does, at every range edge and at random", () => {
    const samples = [0, 1, 0xffffffff, 0xfffffffe, 0x7f000000, 0x7fffffff, 0x80000000];
    for (const edge of ["0.255.255.255", "1.0.0.0", "126.255.255.255", "128.0.0.0"]) {
      samples.push(ip(edge));
    }
    for (const edge of ["169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0"]) {
      samples.push(ip(edge));
    }
    for (const edge of ["223.255.255.255", "224.0.0.0", "239.255.255.255", "240.0.0.0"]) {
      samples.push(ip(edge));
    }
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor(Math.random() * 2 ** 32));
    for (const ipv4 of samples) {
      expect(isNeverSynthesized(ipv4), ipv4Text(ipv4)).toBe(isNeverSynthesizedIpv4(BigInt(ipv4)));
    }
  });

  it("passes NXDOMAIN and NODATA through with their TTLs", () => {
    expect(answerFromSynthesized({ kind: "nxdomain", ttl: 30 }, 30, TEMPLATE)).toEqual({
      rcode: Rcode.NXDOMAIN,
      authoritySoaTtl: 30,
    });
    expect(answerFromSynthesized({ kind: "nodata", ttl: 30 }, 12, TEMPLATE)).toEqual({
      rcode: Rcode.NOERROR,
      authoritySoaTtl: 12,
    });
  });
});

describe("answers that need no upstream", () => {
  it("asks the upstream only for AAAA", () => {
    expect(needsUpstream(RRType.AAAA)).toBe(true);
    for (const qtype of [
      RRType.A,
      RRType.SOA,
      RRType.NS,
      RRType.CNAME,
      RRType.ANY,
      64,
      65,
      15,
      16,
    ]) {
      expect(needsUpstream(qtype)).toBe(false);
    }
  });

  it("answers NODATA with the split SOA for A, HTTPS, SVCB, MX, TXT, ANY below the apex", () => {
    for (const qtype of [RRType.A, 65, 64, 15, 16, RRType.ANY, RRType.SOA, RRType.NS]) {
      expect(answerWithoutUpstream(qtype, false, 300)).toEqual({
        rcode: Rcode.NOERROR,
        authoritySoaTtl: 60,
      });
    }
  });

  it("answers SOA and NS at the apex itself", () => {
    expect(answerWithoutUpstream(RRType.SOA, true, 300)).toEqual({
      rcode: Rcode.NOERROR,
      soaAnswer: true,
      answerTtl: 60,
    });
    expect(answerWithoutUpstream(RRType.NS, true, 30)).toEqual({
      rcode: Rcode.NOERROR,
      nsAnswer: true,
      answerTtl: 30,
    });
    expect(answerWithoutUpstream(RRType.A, true, 300)).toEqual({
      rcode: Rcode.NOERROR,
      authoritySoaTtl: 60,
    });
  });
});
