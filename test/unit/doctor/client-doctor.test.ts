// `doctor --client`: the server's port is used, a refused TCP connection is not a pass, the
// summary never says "all checks passed" over a warning, and the flags are checked at the edge.
import { describe, expect, it } from "vitest";
import { formatChecks, pass, skip, warn } from "../../../src/relay-agent/doctor/check.ts";
import { clientDoctorFlags } from "../../../src/relay-agent/doctor/client-command.ts";
import { runClientDoctor } from "../../../src/relay-agent/doctor/client-doctor.ts";
import type { DnsProbe, DnsProbeResult } from "../../../src/relay-agent/doctor/dns-probe.ts";

const ADDRESS = "fd4e:2a91:7c3d:6464::c612:102";

function client(tcp: "open" | "refused" | "timeout") {
  const asked: DnsProbe[] = [];
  const deps = {
    name: "my-vps.r9929",
    server: { host: "127.0.0.1", family: 4 as const, port: 5353 },
    overlayInterface: "tailscale0",
    tcpPort: 22,
    query: async (probe: DnsProbe): Promise<DnsProbeResult> => {
      asked.push(probe);
      return {
        ok: true,
        rcode: "NOERROR",
        truncated: false,
        answers: [{ type: "AAAA", name: probe.name, data: ADDRESS }],
      };
    },
    routeDevice: async () => "tailscale0",
    ping: async () => true,
    tcpConnect: async () => tcp,
  };
  return { deps, asked };
}

describe("doctor --client", () => {
  it("asks the server on the port given with --server ip:port", async () => {
    const { deps, asked } = client("open");
    const checks = await runClientDoctor(deps);
    expect(asked.map((probe) => [probe.server, probe.port, probe.transport])).toEqual([
      ["127.0.0.1", 5353, "udp"],
      ["127.0.0.1", 5353, "tcp"],
    ]);
    expect(checks.find((check) => check.id === "dns-udp")?.title).toBe(
      "AAAA my-vps.r9929 over UDP @127.0.0.1:5353",
    );
    expect(formatChecks(checks).split("\n").at(-1)).toBe("all checks passed.");
  });

  it("fails the TCP check when the port is closed: the target answered, nothing listens", async () => {
    const { deps } = client("refused");
    const checks = await runClientDoctor(deps);
    const tcp = checks.find((check) => check.id === "tcp");
    expect([tcp?.status, tcp?.detail]).toEqual([
      "fail",
      "connection refused: the target answered, but nothing listens on that port",
    ]);
    expect(formatChecks(checks).split("\n").at(-1)).toBe("1 check(s) failed.");
  });

  it("checks its flags at the edge, one line each", () => {
    expect(clientDoctorFlags({})).toEqual({
      ok: false,
      problem: "--client HOST.SPLIT is required (the name to check)",
    });
    expect(clientDoctorFlags({ client: "a.r9929", server: "dns.example" })).toEqual({
      ok: false,
      problem:
        '--server: "dns.example" is not an IP address with an optional port (write 127.0.0.1:5353 or [::1]:5353)',
    });
    expect(clientDoctorFlags({ client: "a.r9929", port: "ssh" })).toEqual({
      ok: false,
      problem: '--port must be a port from 1 to 65535, got "ssh"',
    });
    expect(clientDoctorFlags({ client: "a.r9929", server: "[::1]:5353", port: "22" })).toEqual({
      ok: true,
      flags: {
        name: "a.r9929",
        overlay: "tailscale0",
        json: false,
        server: { host: "::1", family: 6, port: 5353 },
        tcpPort: 22,
      },
    });
  });
});

describe("the doctor's last line", () => {
  it('says "all checks passed." only when nothing warned or was skipped', () => {
    const ok = pass("a", "a", "fine");
    expect(formatChecks([ok]).split("\n").at(-1)).toBe("all checks passed.");
    expect(
      formatChecks([ok, warn("b", "b", "hm")])
        .split("\n")
        .at(-1),
    ).toBe("no check failed; 1 warning(s).");
    expect(
      formatChecks([ok, warn("b", "b", "hm"), skip("c", "c", "n/a")])
        .split("\n")
        .at(-1),
    ).toBe("no check failed; 1 warning(s), 1 skipped.");
  });
});
