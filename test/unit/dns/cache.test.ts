import { describe, expect, it } from "vitest";
import { TtlLruCache } from "../../../src/relay-agent/dns/cache.ts";

const entries = (count: number) => ({ entries: count, bytes: Number.POSITIVE_INFINITY });

describe("TTL LRU cache", () => {
  it("is fresh until the TTL ends, then stale until the stale window ends", () => {
    const cache = new TtlLruCache<string>(entries(10), 5000);
    cache.set("a", "x", 2, 1000);
    expect(cache.get("a", 2999)?.expiresAt).toBe(3000);
    const stale = cache.get("a", 3500);
    expect(stale?.value).toBe("x");
    expect(3500 >= stale!.expiresAt).toBe(true);
    expect(cache.get("a", 8000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("does not cache a TTL of 0", () => {
    const cache = new TtlLruCache<string>(entries(10), 5000);
    cache.set("a", "x", 0, 0);
    expect(cache.get("a", 0)).toBeUndefined();
  });

  it("evicts the least recently used entries past its capacity", () => {
    const cache = new TtlLruCache<number>(entries(3), 0);
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
    const cache = new TtlLruCache<number>(entries(100), 0);
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, i, 60, 0);
    cache.resize(entries(10));
    expect(cache.size).toBe(10);
    expect(cache.get("k49", 0)?.value).toBe(49);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("evicts by estimated bytes too, whichever bound is reached first", () => {
    const cache = new TtlLruCache<string>(
      { entries: 100, bytes: 1000 },
      0,
      (_, value) => value.length,
    );
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, "x".repeat(300), 60, 0);
    // 5 × 300 > 1000: the oldest two went, three remain.
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(900);
    expect(cache.get("k1", 0)).toBeUndefined();
    expect(cache.get("k2", 0)?.value).toHaveLength(300);
    cache.set("k2", "y", 60, 0); // replacing an entry gives its bytes back
    expect(cache.bytes).toBe(601);
    cache.delete("k3");
    expect(cache.bytes).toBe(301);
    cache.resize({ entries: 100, bytes: 100 });
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(1);
    cache.clear();
    expect(cache.bytes).toBe(0);
  });

  it("does not store one value larger than the whole byte budget", () => {
    const cache = new TtlLruCache<string>(
      { entries: 100, bytes: 10 },
      0,
      (_, value) => value.length,
    );
    cache.set("small", "abc", 60, 0);
    cache.set("huge", "x".repeat(11), 60, 0);
    expect(cache.get("huge", 0)).toBeUndefined();
    expect(cache.get("small", 0)?.value).toBe("abc");
  });

  it("gives back the bytes of entries dropped past their stale window", () => {
    const cache = new TtlLruCache<string>(
      { entries: 100, bytes: 1000 },
      1000,
      (_, value) => value.length,
    );
    cache.set("a", "xyz", 1, 0);
    expect(cache.bytes).toBe(3);
    expect(cache.get("a", 2500)).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });
});
