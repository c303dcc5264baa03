import { describe, expect, it } from "vitest";
import { foreignTrafficCheck } from "../../../src/relay-agent/doctor/foreign-traffic-check.ts";
import { resolvedConfig } from "../nat64/helpers.ts";

const counters = (packets: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(packets).map(([name, n]) => [name, { packets: n, bytes: n * 60 }]),
  );

describe("foreignTrafficCheck", () => {
  it("passes with every refused counter at zero, and names them", () => {
    expect(foreignTrafficCheck(resolvedConfig(), counters({}))).toEqual({
      id: "foreign-traffic",
      title: "only the tailnet uses the translator",
      status: "pass",
      detail: "refused_interface 0, refused_source 0, refused_egress 0, refused_pool 0",
    });
  });

  it("warns with the counts when traffic from outside the overlay or allowFrom was dropped", () => {
    const check = foreignTrafficCheck(
      resolvedConfig(),
      counters({ refused_interface: 4500, refused_source: 30 }),
    );
    expect(check.status).toBe("warn");
    expect(check.detail).toMatch(
      /^refused_interface 4500, refused_source 30, refused_egress 0, refused_pool 0: packets toward the prefix came in on another interface than tailscale0/,
    );
  });

  it("names egressInterfaces when translated IPv4 was routed elsewhere", () => {
    const check = foreignTrafficCheck(resolvedConfig(), counters({ refused_egress: 2 }));
    expect(check.status).toBe("warn");
    expect(check.detail).toContain("not in egressInterfaces");
    expect(check.fix).toContain("`egressInterfaces`");
  });

  it("fails when allowFrom has no IPv6 range: every client would be refused", () => {
    const check = foreignTrafficCheck(
      { ...resolvedConfig(), allowFrom: ["100.64.0.0/10"] },
      counters({}),
    );
    expect(check.status).toBe("fail");
    expect(check.cause).toContain("no IPv6 range");
  });
});
