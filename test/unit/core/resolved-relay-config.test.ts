import { describe, expect, it } from "vitest";
import { parseRelayConfigText } from "../../../src/core/config/parse-relay-config.ts";
import { resolveRelayConfig } from "../../../src/core/config/resolved-relay-config.ts";
import { parseIpv4 } from "../../../src/core/ip.ts";
import { isNeverSynthesizedIpv4 } from "../../../src/core/special-use.ts";

describe("node-dependent defaults", () => {
  it("uses the generated prefix, the overlay as egress and Tailscale IPs on port 53", () => {
    const parsed = parseRelayConfigText("overlayInterface: ts1\n");
    if (!parsed.ok) throw new Error("fixture must parse");
    const resolved = resolveRelayConfig(parsed.config, {
      generatedPrefix: "fd4e:2a91:7c3d:6464::/96",
      tailscaleIps: ["100.101.102.103", "fd7a:115c:a1e0::1"],
    });
    expect(resolved.prefix).toBe("fd4e:2a91:7c3d:6464::/96");
    expect(resolved.egressInterfaces).toEqual(["ts1"]);
    expect(resolved.listen).toEqual(["100.101.102.103:53", "[fd7a:115c:a1e0::1]:53"]);
  });

  it("keeps what the file says over every default", () => {
    const parsed = parseRelayConfigText(
      'prefix: "fd64:9929::/96"\negressInterfaces: [eth0]\nlisten: ["127.0.0.1:5353"]\n',
    );
    if (!parsed.ok) throw new Error("fixture must parse");
    const resolved = resolveRelayConfig(parsed.config, { generatedPrefix: "x", tailscaleIps: [] });
    expect(resolved).toMatchObject({
      prefix: "fd64:9929::/96",
      egressInterfaces: ["eth0"],
      listen: ["127.0.0.1:5353"],
    });
  });
});

describe("special-use IPv4", () => {
  it.each([
    "0.1.2.3",
    "127.0.0.1",
    "169.254.169.254",
    "224.0.0.1",
    "240.0.0.1",
    "250.1.2.3",
    "255.255.255.254",
    "255.255.255.255",
  ])("never synthesizes %s", (address) =>
    expect(isNeverSynthesizedIpv4(parseIpv4(address)!)).toBe(true),
  );
  // A directed broadcast elsewhere looks like a host: x.y.z.255 is one in a /23 (security.md).
  it.each(["100.64.1.2", "192.0.2.33", "10.1.2.3", "100.101.1.255"])("synthesizes %s", (address) =>
    expect(isNeverSynthesizedIpv4(parseIpv4(address)!)).toBe(false),
  );
});
