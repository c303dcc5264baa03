import { describe, expect, it } from "vitest";
import { SourceRateLimiter } from "../../../src/relay-agent/dns/rate-limit.ts";

describe("per-source token bucket", () => {
  it("allows a burst, then refuses until tokens refill at the configured rate", () => {
    const limiter = new SourceRateLimiter({ queriesPerSecond: 10, burst: 5 });
    const allowed = Array.from({ length: 8 }, () => limiter.allow("100.64.0.1", 0));
    expect(allowed.filter(Boolean)).toHaveLength(5);
    expect(limiter.allow("100.64.0.1", 99)).toBe(false);
    expect(limiter.allow("100.64.0.1", 100)).toBe(true); // 10 q/s: one token per 100 ms
    expect(limiter.allow("100.64.0.1", 100)).toBe(false);
  });

  it("keeps sources apart", () => {
    const limiter = new SourceRateLimiter({ queriesPerSecond: 1, burst: 1 });
    expect(limiter.allow("a", 0)).toBe(true);
    expect(limiter.allow("a", 0)).toBe(false);
    expect(limiter.allow("b", 0)).toBe(true);
  });

  it("never holds more than the burst, however long a source was quiet", () => {
    const limiter = new SourceRateLimiter({ queriesPerSecond: 100, burst: 3 });
    limiter.allow("a", 0);
    const allowed = Array.from({ length: 10 }, () => limiter.allow("a", 3_600_000));
    expect(allowed.filter(Boolean)).toHaveLength(3);
  });

  it("tracks a bounded number of sources", () => {
    const limiter = new SourceRateLimiter({ queriesPerSecond: 1, burst: 1 }, 100);
    for (let i = 0; i < 1000; i++) limiter.allow(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(limiter.trackedSources).toBe(100);
  });
});
