import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkNat64Prefix,
  ulaPrefixFromGlobalId,
} from "../../../src/core/validation/nat64-prefix.ts";

function reasons(text: string, engine: "tayga" | "jool" | "none" = "tayga"): string[] {
  const check = checkNat64Prefix(text, engine);
  return check.ok ? [] : check.reasons;
}

describe("NAT64 prefix validation", () => {
  it("accepts a unique-local /96", () => {
    expect(checkNat64Prefix("fd64:9929::/96", "tayga")).toMatchObject({ ok: true });
  });

  it("refuses a length outside RFC 6052's set and lists the allowed ones", () => {
    expect(reasons("fd64:9929::/80")).toEqual([
      "/80 is not an RFC 6052 prefix length: use /32, /40, /48, /56, /64 or /96 (/96 is usual)",
    ]);
  });

  it("refuses bits set after the length and shows the right spelling", () => {
    expect(reasons("fd64:9929::1/96")).toEqual([
      '"fd64:9929::1/96" has bits set after /96; write fd64:9929::/96',
    ]);
  });

  it("refuses a /96 whose u octet (bits 64–71) is not zero", () => {
    expect(reasons("fd64:9929:0:0:ff00::/96")[0]).toContain(
      'bits 64–71 of a /96 must be zero (RFC 6052 §2.2 "u" octet)',
    );
  });

  it("refuses overlap with Tailscale's fd7a:115c:a1e0::/48 and suggests a ULA /96", () => {
    const [reason] = reasons("fd7a:115c:a1e0:ab12::/96");
    expect(reason).toContain("overlaps fd7a:115c:a1e0::/48, Tailscale's own addresses (and 4via6)");
    expect(reason).toContain("use a unique-local /96 instead");
  });

  it("refuses overlap with IPv4-mapped ::ffff:0:0/96", () => {
    expect(reasons("::ffff:0:0/96", "jool")[0]).toContain(
      "overlaps ::ffff:0:0/96, IPv4-mapped addresses",
    );
  });

  it("refuses the well-known prefix 64:ff9b::/96 because targets are usually non-global", () => {
    expect(reasons("64:ff9b::/96", "jool")[0]).toContain(
      "64:ff9b::/96 is the well-known prefix: it must not carry non-global IPv4",
    );
  });

  it("refuses every prefix inside ::/8 with tayga, RFC 8215's 64:ff9b:1::/48 included", () => {
    const [reason] = reasons("64:ff9b:1::/48");
    expect(reason).toContain(
      'tayga 0.9.2 aborts on prefixes inside ::/8 ("Cannot use reserved address")',
    );
    expect(reasons("64:ff9b:1::/48", "jool")).toEqual([]);
  });

  it("refuses IPv4 and unparsable text with a suggestion", () => {
    expect(reasons("10.0.0.0/8")[0]).toContain('"10.0.0.0/8" is IPv4; the NAT64 prefix is IPv6');
    expect(reasons("not-a-prefix")[0]).toContain('"not-a-prefix" has no "/length"');
  });

  it("generates valid unique-local /96 prefixes from any RFC 4193 global ID", () => {
    expect(ulaPrefixFromGlobalId(new Uint8Array([0x4e, 0x2a, 0x91, 0x7c, 0x3d]))).toBe(
      "fd4e:2a91:7c3d:6464::/96",
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 5 }), (globalId) => {
        const prefix = ulaPrefixFromGlobalId(globalId);
        expect(prefix.startsWith("fd")).toBe(true);
        expect(checkNat64Prefix(prefix, "tayga")).toMatchObject({ ok: true });
      }),
    );
  });
});
