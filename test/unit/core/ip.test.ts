import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatHostPort, parseHostPort } from "../../../src/core/host-port.ts";
import {
  cidr,
  cidrsOverlap,
  formatIpv4,
  formatIpv6,
  parseCidr,
  parseIpv4,
  parseIpv6,
} from "../../../src/core/ip.ts";

describe("IP parsing and formatting", () => {
  it("parses IPv4 and refuses leading zeros and out-of-range octets", () => {
    expect(parseIpv4("192.0.2.33")).toBe(0xc0000221n);
    expect(parseIpv4("010.0.0.1")).toBeUndefined();
    expect(parseIpv4("256.0.0.1")).toBeUndefined();
    expect(parseIpv4("1.2.3")).toBeUndefined();
  });

  it("parses every IPv6 spelling and refuses malformed ones", () => {
    expect(parseIpv6("::")).toBe(0n);
    expect(parseIpv6("::1")).toBe(1n);
    expect(parseIpv6("64:ff9b::192.0.2.33")).toBe(parseIpv6("64:ff9b::c000:221"));
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toBe(0x00010002000300040005000600070008n);
    expect(parseIpv6("1::2::3")).toBeUndefined();
    expect(parseIpv6("1:2:3:4:5:6:7:8:9")).toBeUndefined();
    expect(parseIpv6("fe80::1%eth0")).toBeUndefined();
    expect(parseIpv6("12345::")).toBeUndefined();
  });

  it("formats IPv6 canonically (RFC 5952 §4)", () => {
    expect(formatIpv6(parseIpv6("2001:0db8:0:0:1:0:0:1")!)).toBe("2001:db8::1:0:0:1");
    expect(formatIpv6(parseIpv6("2001:db8:0:1:1:1:1:1")!)).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatIpv6(0n)).toBe("::");
  });

  it("round-trips random addresses through text", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        expect(parseIpv6(formatIpv6(value))).toBe(value);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), (value) => {
        expect(parseIpv4(formatIpv4(value))).toBe(value);
      }),
    );
  });

  it("reports host bits set after the prefix length instead of clearing them silently", () => {
    const parsed = parseCidr("192.168.1.1/24");
    expect(parsed).toMatchObject({ ok: true, hostBitsSet: true });
  });

  it("says why a CIDR does not parse", () => {
    expect(parseCidr("10.0.0.0")).toEqual({ ok: false, reason: '"10.0.0.0" has no "/length"' });
    expect(parseCidr("10.0.0.0/33")).toEqual({
      ok: false,
      reason: '"/33" is not a prefix length from 0 to 32',
    });
  });

  it("detects overlap in either direction and never across families", () => {
    expect(cidrsOverlap(cidr("100.64.0.0/10"), cidr("100.100.0.0/20"))).toBe(true);
    expect(cidrsOverlap(cidr("100.100.0.0/20"), cidr("100.64.0.0/10"))).toBe(true);
    expect(cidrsOverlap(cidr("192.168.240.0/20"), cidr("100.64.0.0/10"))).toBe(false);
    expect(cidrsOverlap(cidr("::/0"), cidr("0.0.0.0/0"))).toBe(false);
  });
});

describe("host:port parsing", () => {
  it("reads IPv4, bracketed IPv6 and bare addresses with the default port", () => {
    expect(parseHostPort("127.0.0.1:5353", 53)).toEqual({
      ok: true,
      value: { host: "127.0.0.1", family: 4, port: 5353 },
    });
    expect(parseHostPort("[::1]:5353", 53)).toMatchObject({ value: { host: "::1", port: 5353 } });
    expect(parseHostPort("fd7a:115c:a1e0::1", 53)).toMatchObject({ value: { port: 53 } });
    expect(parseHostPort("100.100.100.100", 53)).toMatchObject({ value: { port: 53 } });
    expect(formatHostPort({ host: "::1", family: 6, port: 53 })).toBe("[::1]:53");
  });

  it("refuses names and bad ports with an example of the right form", () => {
    expect(parseHostPort("dns.example:53", 53)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("write 127.0.0.1:5353 or [::1]:5353"),
    });
    expect(parseHostPort("127.0.0.1:70000", 53)).toMatchObject({
      ok: false,
      reason: 'port "70000" in "127.0.0.1:70000" is not from 1 to 65535',
    });
  });
});
