import { describe, expect, it } from "vitest";
import { TtlLruCache } from "../../../src/relay-agent/dns/cache.ts";

describe("TTL LRU cache", () => {
  it("is fresh until the TTL ends, then stale until the stale window ends", () => {
    const cache = new TtlLruCache<string>(10, 5000);
    cache.set("a", "x", 2, 1000);
    expect(cache.get("a", 2999)?.expiresAt).toBe(3000);
    const stale = cache.get("a", 3500);
    expect(stale?.value).toBe("x");
    expect(3500 >= stale!.expiresAt).toBe(true);
    expect(cache.get("a", 8000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("does not cache a TTL of 0", () => {
    const cache = new TtlLruCache<string>(10, 5000);
    cache.set("a", "x", 0, 0);
    expect(cache.get("a", 0)).toBeUndefined();
  });

  it("evicts the least recently used entries past its capacity", () => {
    const cache = new TtlLruCache<number>(3, 0);
    cache.set("a", 1, 60, 0);
    cache.set("b", 2, 60, 0);
    cache.set("c", 3, 60, 0);
    expect(cache.get("a", 2000)?.value).toBe(1); // touched: now most recent
    cache.set("d", 4, 60, 2000);
    expect(cache.size).toBe(3);
    expect(cache.get("b", 2000)).toBeUndefined();
    expect(cache.get("a", 2000)?.value).toBe(1);
    expect(cache.get("d", 2000)?.value).toBe(4);
  });

  it("shrinks when resized and empties when cleared", () => {
    const cache = new TtlLruCache<number>(100, 0);
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, i, 60, 0);
    cache.resize(10);
    expect(cache.size).toBe(10);
    expect(cache.get("k49", 0)?.value).toBe(49);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
