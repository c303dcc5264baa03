import { describe, expect, it } from "vitest";
import { identityFromStatus } from "../../../src/relay-agent/managed/identity.ts";

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
});
