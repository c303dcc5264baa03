import { describe, expect, it } from "vitest";
import { checkNat64Pool } from "../../../src/core/validation/nat64-pool.ts";

function reasons(text: string): string[] {
  const check = checkNat64Pool(text);
  return check.ok ? [] : check.reasons;
}

describe("NAT64 pool validation", () => {
  it("accepts a private /20", () => {
    expect(checkNat64Pool("192.168.240.0/20")).toMatchObject({ ok: true });
  });

  it("refuses a pool inside 100.64.0.0/10 and says Tailscale drops that traffic", () => {
    expect(reasons("100.100.0.0/20")[0]).toContain(
      "is inside 100.64.0.0/10: Tailscale's netfilter rules drop forwarded packets",
    );
  });

  it("refuses IPv6, host bits, unusable sizes and special-use ranges", () => {
    expect(reasons("fd00::/96")[0]).toContain("is IPv6; the NAT64 pool is IPv4");
    expect(reasons("192.168.240.1/20")).toEqual([
      '"192.168.240.1/20" has bits set after /20; write 192.168.240.0/20',
    ]);
    expect(reasons("192.168.240.0/31")[0]).toContain("a /31 pool is unusable: use a /8 to /30");
    expect(reasons("169.254.0.0/16")[0]).toContain("overlaps special-use 169.254.0.0/16");
  });
});
