import { describe, expect, it } from "vitest";
import { cidr } from "../../../src/core/ip.ts";
import { NEVER_FORWARDED_IPV4 } from "../../../src/core/special-use.ts";
import {
  CLAMPED_MSS,
  digestFromComment,
  embeddedRanges,
  refreshElementsScript,
  renderNftTable,
  replaceTableScript,
} from "../../../src/relay-agent/nat64/nft-ruleset.ts";
import { TRANSLATORS } from "../../../src/relay-agent/resources/translators/index.ts";

const input = {
  translator: TRANSLATORS.tayga,
  pool: "192.168.240.0/20",
  prefix: "fd4e:2a91:7c3d:6464::/96",
  tunDevice: "nat64relay",
  egressInterfaces: ["tailscale0", "eth0"],
  overlayInterface: "tailscale0",
  allowFrom: ["100.64.0.0/10", "fd7a:115c:a1e0::/48", "fd00:1::/64"],
};

/** The body of one chain, header to closing brace. */
function chainText(body: string, name: string): string {
  const start = body.indexOf(`chain ${name} {`);
  return body.slice(start, body.indexOf("\n  }", start));
}

describe("renderNftTable (tayga)", () => {
  const table = renderNftTable(input);

  it("masquerades the pool out of every egress interface", () => {
    expect(table.body).toContain(
      'ip saddr 192.168.240.0/20 oifname { "tailscale0", "eth0" } counter name masqueraded masquerade',
    );
  });

  it("clamps TCP MSS to the tailnet MTU (1280 - 40 - 20) both ways", () => {
    expect(CLAMPED_MSS).toBe(1220);
    expect(table.body).toContain(
      "ip saddr 192.168.240.0/20 tcp flags syn tcp option maxseg size > 1220 tcp option maxseg size set 1220",
    );
    expect(table.body).toContain(
      "ip daddr 192.168.240.0/20 tcp flags syn tcp option maxseg size > 1220 tcp option maxseg size set 1220",
    );
  });

  it("forwards anything but established or related flows from the pool only to addresses in the DNS-fed set", () => {
    expect(table.body).toContain("set allowed_v4 { type ipv4_addr; flags timeout; }");
    expect(table.body).toContain(
      "ip saddr 192.168.240.0/20 ct state != { established, related } ip daddr != @allowed_v4 counter name guard_unknown drop",
    );
  });

  it("lets no packet conntrack calls invalid or untracked past the guard to an accept", () => {
    // A guard on `ct state new` alone let invalid packets (SYN+FIN, crafted ICMP errors) reach
    // `ip saddr <pool> accept` and leave un-NATed toward any IPv4.
    expect(table.body).not.toContain("ct state new");
    const forward = table.body.slice(table.body.indexOf("chain forward"));
    const guard = forward.split("\n").findIndex((line) => line.includes("guard_unknown drop"));
    const accept = forward.split("\n").findIndex((line) => line.includes("from_clients accept"));
    expect(guard).toBeGreaterThan(0);
    expect(guard).toBeLessThan(accept);
  });

  it("never forwards to special-use targets, before any accept, and never to the relay itself", () => {
    expect(table.body).toContain(
      "elements = { 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4 }",
    );
    const forward = table.body.slice(table.body.indexOf("chain forward"));
    expect(forward.split("\n")[4]).toContain("ip daddr @never_v4 counter name guard_special drop");
    expect(table.body).toContain(
      'iifname "nat64relay" ip saddr 192.168.240.0/20 counter name guard_local drop',
    );
  });

  it("names the counters doctor reads", () => {
    for (const name of [
      "from_clients",
      "to_clients",
      "masqueraded",
      "guard_unknown",
      "guard_special",
      "guard_local",
      "refused_interface",
      "refused_source",
      "refused_egress",
      "refused_pool",
    ]) {
      expect(table.body).toContain(`counter ${name} {}`);
    }
  });

  it("carries a digest in its comment that changes with the config and only with it", () => {
    expect(digestFromComment(/comment "(.*)"/.exec(table.body)?.[1])).toBe(table.digest);
    expect(renderNftTable(input).digest).toBe(table.digest);
    expect(renderNftTable({ ...input, pool: "192.168.0.0/20" }).digest).not.toBe(table.digest);
    expect(table.ruleCounts).toEqual({ refuse_foreign: 3, forward: 8, input: 1, postrouting: 1 });
    expect(renderNftTable({ ...input, allowFrom: ["fd00:1::/64"] }).digest).not.toBe(table.digest);
    expect(renderNftTable({ ...input, overlayInterface: "wg0" }).digest).not.toBe(table.digest);
  });

  it("lets IPv6 toward the prefix in only on the overlay from allowFrom sources, at raw priority before tayga", () => {
    expect(chainText(table.body, "refuse_foreign").split("\n")).toEqual([
      "chain refuse_foreign {",
      "    type filter hook prerouting priority raw; policy accept;",
      '    ip6 daddr fd4e:2a91:7c3d:6464::/96 iifname != "tailscale0" counter name refused_interface drop',
      "    ip6 daddr fd4e:2a91:7c3d:6464::/96 ip6 saddr != { fd7a:115c:a1e0::/48, fd00:1::/64 } counter name refused_source drop",
      '    ip saddr 192.168.240.0/20 iifname != "nat64relay" counter name refused_pool drop',
    ]);
  });

  it("refuses the whole prefix when allowFrom has no IPv6 range (no client could be told apart)", () => {
    const v4only = renderNftTable({ ...input, allowFrom: ["100.64.0.0/10"] });
    expect(chainText(v4only.body, "refuse_foreign")).toContain(
      "    ip6 daddr fd4e:2a91:7c3d:6464::/96 counter name refused_source drop",
    );
  });

  it("lets the pool's IPv4 leave only through the egress interfaces and come back only as answers", () => {
    const forward = chainText(table.body, "forward").split("\n");
    expect(forward.slice(2, 4)).toEqual([
      '    ip saddr 192.168.240.0/20 oifname != { "tailscale0", "eth0" } counter name refused_egress drop',
      "    ip daddr 192.168.240.0/20 ct state != { established, related } counter name refused_pool drop",
    ]);
  });

  it("matches only the prefix and the pool, so forwarding that is not ours passes untouched", () => {
    const rules = table.body.split("\n").filter((line) => /^ {4}(ip|ip6|iifname|meta) /.test(line));
    for (const rule of rules) {
      expect(rule).toMatch(
        /(ip6 [sd]addr fd4e:2a91:7c3d:6464::\/96|ip [sd]addr 192\.168\.240\.0\/20)/,
      );
    }
    for (const name of ["refuse_foreign", "forward", "input", "postrouting"]) {
      expect(chainText(table.body, name)).toContain("policy accept;");
    }
  });
});

describe("renderNftTable (jool)", () => {
  const table = renderNftTable({ ...input, translator: TRANSLATORS.jool });
  const prerouting = table.body.slice(
    table.body.indexOf("chain prerouting"),
    table.body.indexOf("chain postrouting"),
  );
  const postrouting = table.body.slice(table.body.indexOf("chain postrouting"));

  it("guards on the IPv6 side before jool's prerouting hook, whatever conntrack thinks", () => {
    expect(prerouting).toContain("type filter hook prerouting priority -150; policy accept;");
    expect(prerouting).toContain(
      "ip6 daddr fd4e:2a91:7c3d:6464::/96 ct state != { established, related } ip6 daddr != @allowed_v6 counter name guard_unknown drop",
    );
    expect(table.body).not.toContain("ct state new");
    expect(table.body).not.toMatch(/ masquerade$/m);
  });

  it("drops special-use targets embedded in the prefix first, whatever the DNS fed", () => {
    expect(table.body).toContain(
      "set never_v6 { type ipv6_addr; flags interval; elements = { fd4e:2a91:7c3d:6464::-fd4e:2a91:7c3d:6464::ff:ffff, fd4e:2a91:7c3d:6464::7f00:0-fd4e:2a91:7c3d:6464::7fff:ffff, fd4e:2a91:7c3d:6464::a9fe:0-fd4e:2a91:7c3d:6464::a9fe:ffff, fd4e:2a91:7c3d:6464::e000:0-fd4e:2a91:7c3d:6464::efff:ffff, fd4e:2a91:7c3d:6464::f000:0-fd4e:2a91:7c3d:6464::ffff:ffff } }",
    );
    expect(prerouting.split("\n")[2]).toBe(
      "    ip6 daddr fd4e:2a91:7c3d:6464::/96 ip6 daddr @never_v6 counter name guard_special drop",
    );
  });

  it("clamps MSS on the IPv6 side and on the IPv4 side coming back to Jool's ports", () => {
    expect(prerouting).toContain(
      "ip6 daddr fd4e:2a91:7c3d:6464::/96 tcp flags syn tcp option maxseg size > 1220 tcp option maxseg size set 1220",
    );
    expect(prerouting).toContain(
      "meta nfproto ipv4 fib daddr type local tcp dport 61001-65535 tcp flags syn tcp option maxseg size > 1220 tcp option maxseg size set 1220",
    );
    expect(postrouting).toContain(
      "ip6 saddr fd4e:2a91:7c3d:6464::/96 tcp flags syn tcp option maxseg size > 1220 tcp option maxseg size set 1220",
    );
  });

  it("counts the way back in postrouting, which Jool's translated packets pass", () => {
    expect(postrouting).toContain("type filter hook postrouting priority filter; policy accept;");
    expect(postrouting).toContain(
      "ip6 saddr fd4e:2a91:7c3d:6464::/96 counter name to_clients accept",
    );
    expect(prerouting).not.toContain("to_clients");
    expect(table.ruleCounts).toEqual({ refuse_foreign: 2, prerouting: 5, postrouting: 2 });
  });

  it("lets IPv6 toward the prefix in only on the overlay from allowFrom sources, before Jool (-75)", () => {
    expect(chainText(table.body, "refuse_foreign").split("\n")).toEqual([
      "chain refuse_foreign {",
      "    type filter hook prerouting priority raw; policy accept;",
      '    ip6 daddr fd4e:2a91:7c3d:6464::/96 iifname != "tailscale0" counter name refused_interface drop',
      "    ip6 daddr fd4e:2a91:7c3d:6464::/96 ip6 saddr != { fd7a:115c:a1e0::/48, fd00:1::/64 } counter name refused_source drop",
    ]);
  });
});

describe("embeddedRanges (RFC 6052)", () => {
  it("covers the suffix bits of a prefix shorter than /96", () => {
    expect(embeddedRanges(cidr("2001:db8::/64"), [cidr("169.254.0.0/16")])).toEqual([
      "2001:db8::a9:fe00:0:0-2001:db8::a9:feff:ffff:ffff",
    ]);
    expect(embeddedRanges(cidr("64:ff9b::/96"), [cidr("127.0.0.0/8")])).toEqual([
      "64:ff9b::7f00:0-64:ff9b::7fff:ffff",
    ]);
    expect(embeddedRanges(cidr("2001:db8::/32"), NEVER_FORWARDED_IPV4)).toHaveLength(5);
  });
});

describe("scripts", () => {
  it("replaces the table atomically and puts live guard entries back", () => {
    const script = replaceTableScript(renderNftTable(input), {
      v4: [{ address: "198.18.1.2", timeoutSeconds: 90 }],
      v6: [],
    });
    const lines = script.split("\n");
    expect(lines[0]).toBe("table inet nat64_relay");
    expect(lines[1]).toBe("delete table inet nat64_relay");
    expect(lines[2]).toBe("table inet nat64_relay {");
    expect(script).toContain("add element inet nat64_relay allowed_v4 { 198.18.1.2 timeout 90s }");
  });

  it("refreshes elements with add, delete, add in one transaction", () => {
    expect(
      refreshElementsScript("allowed_v4", [
        { address: "198.18.1.2", timeoutSeconds: 180 },
        { address: "198.18.1.4", timeoutSeconds: 60 },
      ]),
    ).toBe(
      [
        "add element inet nat64_relay allowed_v4 { 198.18.1.2, 198.18.1.4 }",
        "delete element inet nat64_relay allowed_v4 { 198.18.1.2, 198.18.1.4 }",
        "add element inet nat64_relay allowed_v4 { 198.18.1.2 timeout 180s, 198.18.1.4 timeout 60s }",
        "",
      ].join("\n"),
    );
    expect(refreshElementsScript("allowed_v4", [])).toBe("");
  });
});
