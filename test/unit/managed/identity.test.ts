import { describe, expect, it } from "vitest";
import { dnsNameProblems } from "../../../src/core/validation/dns-name.ts";
import {
  identityFromStatus,
  reportableHostName,
} from "../../../src/relay-agent/managed/identity.ts";

describe("node identity from tailscale status --json", () => {
  it("reads the stable node id, host name and Tailscale IPs of Self", () => {
    expect(
      identityFromStatus({
        BackendState: "Running",
        Self: {
          ID: "nXyZ12CNTRL",
          HostName: "edge-fra-1",
          TailscaleIPs: ["100.101.102.103", "fd7a:115c:a1e0::1234"],
          Online: true,
        },
        Peer: {},
      }),
    ).toEqual({
      ok: true,
      identity: {
        nodeId: "nXyZ12CNTRL",
        hostname: "edge-fra-1",
        addresses: ["100.101.102.103", "fd7a:115c:a1e0::1234"],
      },
    });
  });

  it("says why when tailscale is not up or the answer has no usable Self", () => {
    expect(
      identityFromStatus({
        BackendState: "NeedsLogin",
        Self: { ID: "n1", HostName: "edge", TailscaleIPs: ["100.64.0.1"] },
      }),
    ).toEqual({ ok: false, reason: "tailscale is NeedsLogin, not Running: run tailscale up" });
    expect(identityFromStatus({ Self: { ID: "n1", HostName: "edge", TailscaleIPs: [] } })).toEqual({
      ok: false,
      reason:
        "tailscale status --json has no usable Self (Self.TailscaleIPs: no Tailscale IPs (is tailscale up?))",
    });
    expect(
      identityFromStatus({ Self: { ID: "bad id!", HostName: "e", TailscaleIPs: ["x"] } }),
    ).toEqual({
      ok: false,
      reason: "tailscale status --json has no usable Self (Self.ID: a stable node id)",
    });
  });

  it("reports an OS host name that is no DNS name as one the API accepts (RFC 1123)", () => {
    const cases: [string, string][] = [
      ["edge-fra-1", "edge-fra-1"],
      ["My_VPS", "my-vps"],
      ["vps.Example.com", "vps.example.com"],
      ["-edge_ 1-", "edge-1"],
      ["café", "caf"],
      ["___", "node"],
      ["a..b.", "a.b"],
      [`${"x".repeat(70)}.y`, `${"x".repeat(63)}.y`],
    ];
    expect(cases.map(([raw]) => reportableHostName(raw))).toEqual(cases.map(([, want]) => want));
    for (const [, want] of cases) expect(dnsNameProblems(want)).toEqual([]);
    expect(
      identityFromStatus({
        BackendState: "Running",
        Self: { ID: "nAbc", HostName: "relay_node", TailscaleIPs: ["100.64.0.9"] },
      }),
    ).toEqual({
      ok: true,
      identity: { nodeId: "nAbc", hostname: "relay-node", addresses: ["100.64.0.9"] },
    });
  });
});
