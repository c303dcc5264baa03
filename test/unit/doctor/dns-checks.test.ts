import { describe, expect, it } from "vitest";
import { cidr } from "../../../src/core/ip.ts";
import { doctorExitCode, formatChecks } from "../../../src/relay-agent/doctor/check.ts";
import { judgeDns } from "../../../src/relay-agent/doctor/dns-checks.ts";
import type { DnsProbeResult } from "../../../src/relay-agent/doctor/dns-probe.ts";

const good: DnsProbeResult = {
  ok: true,
  rcode: "NOERROR",
  truncated: false,
  answers: [{ type: "AAAA", name: "my-vps.r9929", data: "fd4e:2a91:7c3d:6464::c612:102" }],
};
const timeout: DnsProbeResult = {
  ok: false,
  error: "timeout",
  message: "no answer within 2000 ms",
};
const refused: DnsProbeResult = { ok: true, rcode: "REFUSED", truncated: false, answers: [] };
const prefix = cidr("fd4e:2a91:7c3d:6464::/96");

const judge = (udp: DnsProbeResult, tcp: DnsProbeResult) =>
  judgeDns({ name: "my-vps.r9929", server: "fd7a:115c:a1e0::1", udp, tcp, prefix });
const byId = (checks: ReturnType<typeof judge>, id: string) => checks.find((c) => c.id === id);

describe("judgeDns", () => {
  it("passes an AAAA inside the prefix over both transports", () => {
    const checks = judge(good, good);
    expect(checks.map((c) => c.status)).toEqual(["pass", "pass", "pass"]);
    expect(doctorExitCode(checks)).toBe(0);
  });

  it("timeout on both: not listening or split DNS target wrong", () => {
    const checks = judge(timeout, timeout);
    expect(byId(checks, "dns-udp")?.cause).toMatch(
      /not running or not listening there, or the split DNS nameserver is the wrong address/,
    );
    expect(doctorExitCode(checks)).toBe(1);
  });

  it("UDP times out while TCP answers: UDP blocked", () => {
    expect(byId(judge(timeout, good), "dns-udp")?.cause).toMatch(/^UDP to port 53 is blocked/);
    expect(byId(judge(good, timeout), "dns-tcp")?.cause).toMatch(/^TCP to port 53 is blocked/);
  });

  it("REFUSED: the ACL / allowFrom", () => {
    expect(byId(judge(refused, refused), "dns-udp")?.cause).toMatch(/outside `allowFrom`/);
  });

  it("a CNAME in the answer: CNAME leak", () => {
    const leaky: DnsProbeResult = {
      ok: true,
      rcode: "NOERROR",
      truncated: false,
      answers: [{ type: "CNAME", name: "my-vps.r9929", data: "my-vps.tail1234.ts.net" }],
    };
    const checks = judge(leaky, leaky);
    expect(byId(checks, "no-cname")?.cause).toMatch(/^CNAME leak/);
    expect(byId(checks, "dns-udp")?.status).toBe("fail");
  });

  it("an AAAA outside the prefix: not the relay's synthesis", () => {
    const native: DnsProbeResult = {
      ...good,
      answers: [{ type: "AAAA", name: "my-vps.r9929", data: "2001:db8::1" }],
    } as DnsProbeResult;
    expect(byId(judge(native, native), "dns-udp")?.cause).toMatch(/not the relay's synthesis/);
  });

  it("prints ✔/✘ lines with cause and fix", () => {
    const text = formatChecks(judge(timeout, good));
    expect(text).toMatch(
      /^✘ AAAA my-vps.r9929 over UDP @fd7a:115c:a1e0::1: no answer within 2000 ms\n {4}cause: UDP to port 53 is blocked/,
    );
    expect(text).toContain("✔ AAAA my-vps.r9929 over TCP");
    expect(text.endsWith("1 check(s) failed.")).toBe(true);
  });
});
