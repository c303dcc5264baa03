import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidr, formatIpv4, parseIpv6 } from "../../../src/core/ip.ts";
import {
  embed,
  embedValue,
  extract,
  extractValue,
  RFC6052_PREFIX_LENGTHS,
} from "../../../src/core/rfc6052.ts";

// RFC 6052 §2.4, "Table 1: Text Representation of IPv4-Embedded IPv6 Address".
const RFC6052_TABLE = [
  ["2001:db8::/32", "2001:db8:c000:221::"],
  ["2001:db8:100::/40", "2001:db8:1c0:2:21::"],
  ["2001:db8:122::/48", "2001:db8:122:c000:2:2100::"],
  ["2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"],
  ["2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"],
  ["2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"],
  ["64:ff9b::/96", "64:ff9b::192.0.2.33"],
] as const;

describe("RFC 6052 embedding", () => {
  it.each(RFC6052_TABLE)("embeds 192.0.2.33 under %s as in RFC 6052 §2.4", (prefix, expected) => {
    const embedded = embed(cidr(prefix), "192.0.2.33");
    expect(parseIpv6(embedded)).toBe(parseIpv6(expected));
  });

  it.each(RFC6052_TABLE)("extracts 192.0.2.33 back from the %s example", (prefix, address) => {
    expect(extract(cidr(prefix), address)).toBe("192.0.2.33");
  });

  it("writes embedded addresses in RFC 5952 canonical form", () => {
    expect(embed(cidr("64:ff9b::/96"), "192.0.2.33")).toBe("64:ff9b::c000:221");
    expect(embed(cidr("fd64:9929::/96"), "100.64.1.2")).toBe("fd64:9929::6440:102");
  });

  it("keeps the u octet (bits 64–71) zero for every prefix length", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RFC6052_PREFIX_LENGTHS),
        fc.bigInt({ min: 0n, max: 0xffffffffn }),
        (length, ipv4) => {
          const value = embedValue(cidr(`2001:db8::/${length}`), ipv4);
          expect((value >> 56n) & 0xffn).toBe(0n);
        },
      ),
    );
  });

  it("round-trips every IPv4 under every prefix length", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RFC6052_PREFIX_LENGTHS),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.bigInt({ min: 0n, max: 0xffffffffn }),
        (length, prefixBits, ipv4) => {
          const hostBits = BigInt(128 - length);
          const prefix = {
            family: 6 as const,
            network: (prefixBits >> hostBits) << hostBits,
            length,
          };
          // The u octet of a /96 prefix must be zero (RFC 6052 §2.2).
          if (length === 96) prefix.network &= ~(0xffn << 56n);
          expect(extractValue(prefix, embedValue(prefix, ipv4))).toBe(ipv4);
          const text = embed(prefix, formatIpv4(ipv4));
          expect(extract(prefix, text)).toBe(formatIpv4(ipv4));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("answers undefined when extracting an address outside the prefix", () => {
    expect(extract(cidr("fd64:9929::/96"), "fd64:9930::c000:221")).toBeUndefined();
  });

  it("refuses prefix lengths RFC 6052 does not define, with the allowed set", () => {
    expect(() => embed(cidr("2001:db8::/80"), "192.0.2.33")).toThrow(
      "RFC 6052 prefix must be IPv6 /32, /40, /48, /56, /64 or /96, got /80",
    );
  });
});
