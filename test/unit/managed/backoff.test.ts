import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../src/relay-agent/managed/backoff.ts";

describe("API backoff", () => {
  const policy = { initialMs: 1000, maxMs: 60_000 };

  it("doubles per failure within the upper half of each step", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, () => 0, policy))).toEqual([
      500, 1000, 2000, 4000,
    ]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, () => 0.999_999, policy))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });

  it("never exceeds the cap, however long the outage", () => {
    for (const failures of [7, 8, 30, 1000]) {
      expect(backoffDelay(failures, () => 0.999_999, policy)).toBe(60_000);
      expect(backoffDelay(failures, () => 0, policy)).toBe(30_000);
    }
  });

  it("spreads agents that failed together", () => {
    const draws = [0.1, 0.5, 0.9].map((r) => backoffDelay(5, () => r, policy));
    expect(draws).toEqual([8800, 12_000, 15_200]);
  });
});
