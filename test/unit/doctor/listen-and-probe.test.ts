// The doctor's two choices about where to look: is `listen` where split DNS asks (this node's
// Tailscale IPs, port 53), and which name to probe (never the relay itself).
import { describe, expect, it } from "vitest";
import { listenCheck } from "../../../src/relay-agent/doctor/listen-check.ts";
import { defaultProbeName } from "../../../src/relay-agent/doctor/probe-name.ts";

const IPS = ["100.101.102.103", "fd7a:115c:a1e0::1"];

describe("listen check", () => {
  it("fails with the reason when listen misses the Tailscale IPs on port 53 (the old README example)", () => {
    expect(listenCheck(["127.0.0.1:5353"], IPS)).toEqual({
      id: "listen",
      title: "DNS listens on this node's Tailscale IPs, port 53 (where split DNS asks)",
      status: "fail",
      detail: "listen is 127.0.0.1:5353; not 100.101.102.103:53 or [fd7a:115c:a1e0::1]:53",
      cause:
        "split DNS sends the split domain's queries to this node's Tailscale IP on port 53, where the agent does not answer: clients get no AAAA (a local dig on the listen address still works)",
      fix: 'leave `listen` out of the config (it defaults to this node\'s Tailscale IPs on port 53), or add "100.101.102.103:53", "[fd7a:115c:a1e0::1]:53"',
    });
    // The right address on the wrong port is no better.
    expect(listenCheck(["100.101.102.103:5353"], IPS).status).toBe("fail");
  });

  it("passes for the default, a wildcard, or one of the two (naming the other)", () => {
    expect(listenCheck(["100.101.102.103:53", "[fd7a:115c:a1e0::1]:53"], IPS)).toMatchObject({
      status: "pass",
      detail: "100.101.102.103:53, [fd7a:115c:a1e0::1]:53",
    });
    expect(listenCheck(["0.0.0.0:53", "[::]:53"], IPS).status).toBe("pass");
    expect(listenCheck(["[fd7a:115c:a1e0::1]:53"], IPS)).toMatchObject({
      status: "pass",
      detail:
        "[fd7a:115c:a1e0::1]:53 (not 100.101.102.103:53: split DNS must name the one listened on)",
    });
  });

  it("warns, not fails, when it cannot tell (no tailscale CLI)", () => {
    expect(listenCheck(["127.0.0.1:5353"], undefined)).toMatchObject({
      status: "warn",
      detail: "tailscale CLI not found: cannot check",
    });
  });
});

describe("the default probe name", () => {
  const config = { splitDomains: [{ name: "r9929", realSuffix: "tail1234.ts.net" }] };

  it("is a tailnet peer under a split domain's real suffix, online first; never the relay itself", () => {
    const status = {
      Self: { HostName: "relay", DNSName: "relay.tail1234.ts.net." },
      Peer: {
        a: { DNSName: "laptop.tail1234.ts.net.", Online: false },
        b: { DNSName: "my-vps.tail1234.ts.net.", Online: true },
        c: { DNSName: "elsewhere.other.ts.net.", Online: true },
      },
    };
    expect(defaultProbeName(config, status)).toEqual({ name: "my-vps.r9929" });
  });

  it("gives a reason instead when there is no such peer, or no tailscale", () => {
    expect(defaultProbeName(config, { Self: { HostName: "relay" } })).toEqual({
      reason:
        "no --probe given, and no tailnet peer under tail1234.ts.net to probe (this relay's own name would only meet the guard)",
    });
    expect(defaultProbeName(config, undefined)).toEqual({
      reason: "no --probe given, and no tailscale CLI to find a tailnet peer to probe",
    });
  });
});
