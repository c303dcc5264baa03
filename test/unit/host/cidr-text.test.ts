import { describe, expect, it } from "vitest";
import { canonicalCidr, includesCidr, sameCidr } from "../../../src/relay-agent/host/cidr-text.ts";
import { normalizeDestination } from "../../../src/relay-agent/host/ip-route.ts";
import { ipv6Prefixes } from "../../../src/relay-agent/nat64/jool.ts";

describe("prefixes compared as canonical text", () => {
  it("spells a network the RFC 5952 way and leaves anything else alone", () => {
    expect(canonicalCidr("FD4E:2A91:7C3D:6464:0:0:0:0/96")).toBe("fd4e:2a91:7c3d:6464::/96");
    expect(canonicalCidr("192.168.240.0/20")).toBe("192.168.240.0/20");
    expect(canonicalCidr("10.0.0.1/24")).toBe("10.0.0.1/24");
    expect(canonicalCidr("not a prefix")).toBe("not a prefix");
    expect(sameCidr("fd00:0::/96", "FD00::/96")).toBe(true);
    expect(sameCidr("fd00::/96", "fd00::/64")).toBe(false);
    expect(includesCidr(["10.0.0.0/24", "FD00:0:0:0::/96"], "fd00::/96")).toBe(true);
  });

  it("normalizes what `ip -j route` prints", () => {
    expect(normalizeDestination(4, "10.0.0.1")).toBe("10.0.0.1/32");
    expect(normalizeDestination(6, "default")).toBe("::/0");
    expect(normalizeDestination(6, "fd4e:2a91:7c3d:6464:0::/96")).toBe("fd4e:2a91:7c3d:6464::/96");
  });

  it("finds pool6 in jool's global display output", () => {
    expect(
      ipv6Prefixes("  manually-enabled: true\n  pool6: 64:ff9b::/96\n  lowest-ipv6-mtu: 1280\n"),
    ).toEqual(["64:ff9b::/96"]);
  });
});
