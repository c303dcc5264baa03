import { describe, expect, it } from "vitest";
import { GuardFeeder, isNeverForwarded } from "../../../src/relay-agent/nat64/guard.ts";

function feeder(options: { fail?: boolean; side?: "v4" | "v6" } = {}) {
  const scripts: string[] = [];
  let now = 1_000_000;
  const guard = new GuardFeeder({
    side: options.side ?? "v4",
    prefix: "fd4e:2a91:7c3d:6464::/96",
    graceSeconds: 120,
    now: () => now,
    ownAddresses: () => new Set(["198.18.1.1"]),
    runScript: async (script) => {
      scripts.push(script);
      if (options.fail) throw new Error("nft: Operation not permitted");
    },
  });
  return { guard, scripts, advance: (ms: number) => (now += ms) };
}

describe("GuardFeeder", () => {
  it("puts concurrent answers into one nft transaction and resolves when it is in", async () => {
    const { guard, scripts } = feeder();
    await Promise.all([
      guard.allow(["198.18.1.2"], 60),
      guard.allow(["198.18.1.4", "198.18.1.2"], 30),
    ]);
    expect(scripts).toEqual([
      "add element inet nat64_relay allowed_v4 { 198.18.1.2 timeout 180s, 198.18.1.4 timeout 150s }\n",
    ]);
  });

  it("answers at once without nft for an address allowed recently enough", async () => {
    const { guard, scripts, advance } = feeder();
    await guard.allow(["198.18.1.2"], 60);
    advance(30_000);
    expect(guard.allow(["198.18.1.2"], 60)).toBeUndefined();
    advance(60_000);
    await guard.allow(["198.18.1.2"], 60);
    expect(scripts).toHaveLength(2);
    // Still in the set: its timeout is extended with add, delete, add in one transaction.
    expect(scripts[1]).toBe(
      [
        "add element inet nat64_relay allowed_v4 { 198.18.1.2 }",
        "delete element inet nat64_relay allowed_v4 { 198.18.1.2 }",
        "add element inet nat64_relay allowed_v4 { 198.18.1.2 timeout 180s }",
        "",
      ].join("\n"),
    );
  });

  it("never allows special-use targets or the relay's own addresses", async () => {
    const { guard, scripts } = feeder();
    expect(
      guard.allow(
        ["169.254.169.254", "127.0.0.1", "0.1.2.3", "224.0.0.1", "240.0.0.1", "198.18.1.1"],
        60,
      ),
    ).toBeUndefined();
    expect(scripts).toEqual([]);
    expect(isNeverForwarded("255.255.255.255", new Set())).toBe(true);
    expect(isNeverForwarded("100.101.102.103", new Set())).toBe(false);
  });

  it("rejects every waiter of a failed batch and retries on the next answer", async () => {
    const { guard, scripts } = feeder({ fail: true });
    await expect(guard.allow(["198.18.1.2"], 60)).rejects.toThrow(/Operation not permitted/);
    await expect(guard.allow(["198.18.1.2"], 60)).rejects.toThrow();
    expect(scripts).toHaveLength(2);
  });

  it("feeds synthesized IPv6 addresses for jool", async () => {
    const { guard, scripts } = feeder({ side: "v6" });
    await guard.allow(["198.18.1.2"], 0);
    expect(scripts[0]).toContain(
      "add element inet nat64_relay allowed_v6 { fd4e:2a91:7c3d:6464::c612:102 timeout 120s }",
    );
  });
});

describe("GuardFeeder restore", () => {
  it("puts saved entries back with the time they had left, skipping expired and special-use ones", async () => {
    const { guard, scripts } = feeder();
    const restored = await guard.restore([
      { ipv4: "198.18.1.2", expiresAt: 1_000_000 + 90_000 },
      { ipv4: "198.18.1.5", expiresAt: 1_000_000 - 1 },
      { ipv4: "169.254.169.254", expiresAt: 1_000_000 + 90_000 },
    ]);
    expect(restored).toBe(1);
    expect(scripts[0]).toContain(
      "add element inet nat64_relay allowed_v4 { 198.18.1.2 timeout 90s }",
    );
    expect(guard.entries()).toEqual([{ ipv4: "198.18.1.2", expiresAt: 1_090_000 }]);
    expect(guard.allow(["198.18.1.2"], 10)).toBeUndefined();
  });
});
