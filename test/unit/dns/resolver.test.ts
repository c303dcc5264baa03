import { describe, expect, it } from "vitest";
import {
  AaaaResolver,
  cachedBytes,
  STALE_ANSWER_TTL,
} from "../../../src/relay-agent/dns/resolver.ts";
import { nameToKey } from "../../../src/relay-agent/dns/wire.ts";
import { FakeUpstreamClient } from "../../fakes/fake-upstream-client.ts";

const settings = {
  maxTtl: 300,
  cacheSize: 100,
  cacheBytes: 1024 * 1024,
  maxAddressesPerName: 64,
};

function resolverWithClock() {
  const clock = { now: 1_000_000 };
  const upstream = new FakeUpstreamClient();
  const resolver = new AaaaResolver(settings, upstream, () => clock.now);
  return { clock, upstream, resolver };
}

describe("AAAA resolver", () => {
  it("caches negative answers for their SOA-derived TTL (RFC 2308)", async () => {
    const { upstream, resolver, clock } = resolverWithClock();
    const first = await resolver.resolve(nameToKey("gone.tail1234.ts.net"));
    expect(first).toEqual({
      kind: "answer",
      result: { kind: "nxdomain", ttl: 60 },
      ttl: 60,
      stale: false,
    });
    const slot = resolver.peek(nameToKey("gone.tail1234.ts.net"), clock.now + 59_000);
    expect(slot?.value).toEqual({ kind: "nxdomain", ttl: 60 });
    expect(upstream.asked).toHaveLength(1);
  });

  it("serves a stale answer with TTL 30 when the upstreams fail after expiry (RFC 8767)", async () => {
    const { upstream, resolver, clock } = resolverWithClock();
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2", ttl: 10 }]);
    await resolver.resolve(nameToKey("web.tail1234.ts.net"));
    clock.now += 11_000;
    upstream.failAfterMs = 1;
    const stale = await resolver.resolve(nameToKey("web.tail1234.ts.net"));
    expect(stale.kind === "answer" && stale.stale).toBe(true);
    expect(stale.kind === "answer" && stale.ttl).toBe(STALE_ANSWER_TTL);
    expect(stale.kind === "answer" && stale.result.kind).toBe("addresses");
    const slot = resolver.peek(nameToKey("web.tail1234.ts.net"), clock.now);
    expect(slot!.failedRefreshUntil).toBeGreaterThan(clock.now);
  });

  it("reports failure when the upstreams fail and nothing is cached", async () => {
    const { upstream, resolver } = resolverWithClock();
    upstream.failAfterMs = 1;
    expect((await resolver.resolve(nameToKey("web.tail1234.ts.net"))).kind).toBe("failure");
  });

  it("drops cached answers when the TTL cap changes, and keeps them otherwise", async () => {
    const { upstream, resolver, clock } = resolverWithClock();
    upstream.set("web.tail1234.ts.net", [{ type: "A", data: "100.100.1.2" }]);
    await resolver.resolve(nameToKey("web.tail1234.ts.net"));
    resolver.reconfigure({ ...settings, cacheSize: 50 }, upstream);
    expect(resolver.peek(nameToKey("web.tail1234.ts.net"), clock.now)).toBeDefined();
    resolver.reconfigure({ ...settings, maxTtl: 30 }, upstream);
    expect(resolver.peek(nameToKey("web.tail1234.ts.net"), clock.now)).toBeUndefined();
  });

  it("follows a CNAME chain the upstream resolves, with the smallest TTL", async () => {
    const { upstream, resolver } = resolverWithClock();
    upstream
      .set("alias.tail1234.ts.net", [{ type: "CNAME", data: "real.tail1234.ts.net", ttl: 20 }])
      .set("real.tail1234.ts.net", [{ type: "A", data: "100.100.7.7", ttl: 200 }]);
    const resolution = await resolver.resolve(nameToKey("alias.tail1234.ts.net"));
    expect(resolution.kind === "answer" && resolution.result).toEqual(
      expect.objectContaining({ kind: "addresses", ipv4s: [0x64640707], ttl: 20 }),
    );
  });
});

describe("AAAA resolver memory bounds", () => {
  it("keeps at most maxAddressesPerName addresses, the upstream's first ones", async () => {
    const upstream = new FakeUpstreamClient();
    const resolver = new AaaaResolver({ ...settings, maxAddressesPerName: 3 }, upstream);
    const ips = Array.from({ length: 10 }, (_, i) => `100.100.9.${i + 1}`);
    upstream.set(
      "many.tail1234.ts.net",
      ips.map((data) => ({ type: "A", data })),
    );
    const resolution = await resolver.resolve(nameToKey("many.tail1234.ts.net"));
    expect(resolution.kind === "answer" && resolution.result).toEqual({
      kind: "addresses",
      ipv4s: [0x64640901, 0x64640902, 0x64640903],
      ttl: expect.any(Number),
    });
  });

  it("evicts by the byte estimate: names with many addresses take more of the budget", async () => {
    const upstream = new FakeUpstreamClient();
    const budget = 40_000;
    const resolver = new AaaaResolver(
      { ...settings, cacheSize: 10_000, cacheBytes: budget, maxAddressesPerName: 100 },
      upstream,
    );
    const ips = Array.from({ length: 100 }, (_, i) => `100.100.${i}.1`);
    for (let i = 0; i < 200; i++) {
      const name = `n${String(i).padStart(3, "0")}.tail1234.ts.net`;
      upstream.set(
        name,
        ips.map((data) => ({ type: "A", data })),
      );
      await resolver.resolve(nameToKey(name));
    }
    const one = cachedBytes(nameToKey("n100.tail1234.ts.net"), {
      kind: "addresses",
      ipv4s: new Array(100).fill(0),
      ttl: 1,
    });
    expect(one).toBeGreaterThan(1000);
    expect(resolver.cacheBytes).toBeLessThanOrEqual(budget);
    expect(resolver.cacheSize).toBe(Math.floor(budget / one));
  });
});

describe("AAAA resolver lifecycle", () => {
  it("closes the replaced upstream client too when it is closed before the grace period ends", () => {
    const first = new FakeUpstreamClient();
    const second = new FakeUpstreamClient();
    const resolver = new AaaaResolver(settings, first);
    resolver.reconfigure(settings, second);
    expect(first.closed).toBe(false);
    resolver.close();
    expect(first.closed).toBe(true);
    expect(second.closed).toBe(true);
  });
});
