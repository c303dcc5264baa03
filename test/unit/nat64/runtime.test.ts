import { describe, expect, it } from "vitest";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { healthIntervalFromEnv } from "../../../src/relay-agent/nat64/agent-data-plane.ts";
import { digestFromComment } from "../../../src/relay-agent/nat64/nft-ruleset.ts";
import { Nat64DataPlane } from "../../../src/relay-agent/nat64/runtime.ts";
import type { ChildHandle } from "../../../src/relay-agent/nat64/tayga-supervisor.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "./helpers.ts";

function launcher() {
  const started: string[][] = [];
  const exits: Array<() => void> = [];
  const launch = (command: string, args: readonly string[]): ChildHandle => {
    started.push([command, ...args]);
    const listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
    exits.push(() => {
      for (const listener of listeners) listener(1, null);
    });
    return {
      pid: started.length,
      kill: (signal) =>
        queueMicrotask(() => {
          for (const listener of listeners) listener(null, signal ?? "SIGTERM");
        }),
      onExit: (listener) => listeners.push(listener),
    };
  };
  return { started, launch, exits };
}

const TABLE = ["inet", "nat64_relay"] as const;

describe("Nat64DataPlane (agent run's data plane)", () => {
  it("applies, starts tayga, feeds the guard, and on a second apply changes nothing and says so", async () => {
    const host = fakeHost();
    const logs: string[] = [];
    const { started, launch } = launcher();
    const plane = new Nat64DataPlane({
      host,
      paths: hostPaths(await tempRoot()),
      launch,
      healthIntervalMs: 0,
      log: (m) => logs.push(m),
    });
    const first = await plane.apply(resolvedConfig());
    expect(first.changes.length).toBeGreaterThan(5);
    expect(started).toEqual([
      ["tayga", "--nodetach", "--config", expect.stringMatching(/tayga\.conf$/)],
    ]);
    await plane.observer(["198.18.1.2"], 60);
    expect(await host.nft.elements("inet", "nat64_relay", "allowed_v4")).toEqual([
      { address: "198.18.1.2", expiresSeconds: 180 },
    ]);
    const second = await plane.apply(resolvedConfig());
    expect(second.changes).toEqual([]);
    expect(logs.at(-1)).toBe("data plane (tayga): up to date, no changes");
    expect(started).toHaveLength(1);
    await plane.close();
  });

  it("engine none: no data plane work, the observer does nothing", async () => {
    const host = fakeHost();
    const plane = new Nat64DataPlane({
      host,
      paths: hostPaths(await tempRoot()),
      launch: launcher().launch,
      healthIntervalMs: 0,
    });
    const report = await plane.apply(resolvedConfig({ engine: "none" }));
    expect(report).toEqual({ engine: "none", changes: [], warnings: [] });
    expect(plane.observer(["198.18.1.2"], 60)).toBeUndefined();
    await plane.close();
  });

  it("engine jool without the kernel module falls back to tayga with a warning", async () => {
    const host = fakeHost();
    const plane = new Nat64DataPlane({
      host,
      paths: hostPaths(await tempRoot()),
      launch: launcher().launch,
      healthIntervalMs: 0,
      translatorAvailable: async () => false,
    });
    const report = await plane.apply(resolvedConfig({ engine: "jool" }));
    expect(report.engine).toBe("tayga");
    expect(report.warnings).toContain("engine jool: `modprobe jool` failed, using tayga instead");
    await plane.close();
  });

  it("re-applies a flushed table under a running agent and puts the guard entries back", async () => {
    const host = fakeHost();
    const logs: string[] = [];
    const plane = new Nat64DataPlane({
      host,
      paths: hostPaths(await tempRoot()),
      launch: launcher().launch,
      healthIntervalMs: 0,
      log: (m) => logs.push(m),
    });
    await plane.apply(resolvedConfig());
    const digest = digestFromComment((await host.nft.table(...TABLE))?.comment);
    await plane.observer(["198.18.1.2"], 60);
    host.nft.tables.clear(); // nft flush ruleset
    expect(await plane.healthy()).toEqual({
      ok: false,
      reason: "table inet nat64_relay is missing",
    });
    await plane.checkHealth();
    expect(digestFromComment((await host.nft.table(...TABLE))?.comment)).toBe(digest);
    expect(await host.nft.elements(...TABLE, "allowed_v4")).toEqual([
      { address: "198.18.1.2", expiresSeconds: expect.any(Number) },
    ]);
    expect(logs).toContain("data plane unhealthy: table inet nat64_relay is missing; re-applying");
    expect(await plane.healthy()).toEqual({ ok: true });
    // The feeder knows the set again: an address it never fed goes in at once.
    await plane.observer(["198.18.1.4"], 60);
    expect((await host.nft.elements(...TABLE, "allowed_v4")).map((e) => e.address)).toEqual([
      "198.18.1.2",
      "198.18.1.4",
    ]);
    await plane.close();
  });

  it("replaces a table edited by hand, keeping the live guard entries", async () => {
    const host = fakeHost();
    const plane = new Nat64DataPlane({
      host,
      paths: hostPaths(await tempRoot()),
      launch: launcher().launch,
      healthIntervalMs: 0,
    });
    await plane.apply(resolvedConfig());
    await plane.observer(["198.18.1.2"], 60);
    host.nft.tables.get("inet nat64_relay")?.chains.get("forward")?.rules.splice(0, 2);
    expect((await plane.healthy()).reason).toBe(
      "table inet nat64_relay differs from the desired ruleset",
    );
    await plane.checkHealth();
    expect((await host.nft.table(...TABLE))?.chains.forward).toBe(8);
    expect(await host.nft.elements(...TABLE, "allowed_v4")).toEqual([
      { address: "198.18.1.2", expiresSeconds: 180 },
    ]);
    await plane.close();
  });

  it("resynchronizes the guard when a tayga restart has to recreate the table", async () => {
    const host = fakeHost();
    const { launch, exits, started } = launcher();
    const plane = new Nat64DataPlane({
      host,
      paths: hostPaths(await tempRoot()),
      launch,
      healthIntervalMs: 0,
    });
    await plane.apply(resolvedConfig());
    await plane.observer(["198.18.1.2"], 60);
    // The tun and the table vanish and tayga exits: its restart repairs both.
    await host.ip.deleteLink("nat64relay");
    host.nft.tables.clear();
    exits[0]?.();
    const deadline = Date.now() + 3000;
    while (started.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(started).toHaveLength(2);
    expect(await host.nft.elements(...TABLE, "allowed_v4")).toEqual([
      { address: "198.18.1.2", expiresSeconds: expect.any(Number) },
    ]);
    await plane.close();
  });

  it("jool: seeds the guard from the live allowed_v6 set when the agent starts again", async () => {
    const host = fakeHost({ jool: true });
    const paths = hostPaths(await tempRoot());
    const options = { host, paths, healthIntervalMs: 0, translatorAvailable: async () => true };
    const first = new Nat64DataPlane(options);
    expect((await first.apply(resolvedConfig({ engine: "jool" }))).engine).toBe("jool");
    await first.observer(["198.18.1.2"], 60);
    expect(await host.nft.elements(...TABLE, "allowed_v6")).toEqual([
      { address: "fd4e:2a91:7c3d:6464::c612:102", expiresSeconds: 180 },
    ]);
    await first.close();
    const scripts = host.nft.scripts.length;
    const second = new Nat64DataPlane(options);
    expect((await second.apply(resolvedConfig({ engine: "jool" }))).changes).toEqual([]);
    // Known with enough time left: the answer leaves without another nft transaction.
    expect(second.observer(["198.18.1.2"], 60)).toBeUndefined();
    expect(host.nft.scripts).toHaveLength(scripts);
    await second.close();
  });
});

describe("healthIntervalFromEnv", () => {
  it("reads NAT64_RELAY_HEALTH_INTERVAL_MS once, 0 meaning off, and names a bad value", () => {
    expect(healthIntervalFromEnv({})).toBeUndefined();
    expect(healthIntervalFromEnv({ NAT64_RELAY_HEALTH_INTERVAL_MS: "0" })).toBe(0);
    expect(healthIntervalFromEnv({ NAT64_RELAY_HEALTH_INTERVAL_MS: "500" })).toBe(500);
    expect(() => healthIntervalFromEnv({ NAT64_RELAY_HEALTH_INTERVAL_MS: "2s" })).toThrow(
      'NAT64_RELAY_HEALTH_INTERVAL_MS must be a number of milliseconds (0: off), got "2s"',
    );
  });
});
