import { describe, expect, it } from "vitest";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { Nat64DataPlane } from "../../../src/relay-agent/nat64/runtime.ts";
import type { ChildHandle } from "../../../src/relay-agent/nat64/tayga-supervisor.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "./helpers.ts";

function launcher() {
  const started: string[][] = [];
  const launch = (command: string, args: readonly string[]): ChildHandle => {
    started.push([command, ...args]);
    const listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
    return {
      pid: started.length,
      kill: (signal) =>
        queueMicrotask(() => {
          for (const listener of listeners) listener(null, signal ?? "SIGTERM");
        }),
      onExit: (listener) => listeners.push(listener),
    };
  };
  return { started, launch };
}

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
      joolAvailable: async () => false,
    });
    const report = await plane.apply(resolvedConfig({ engine: "jool" }));
    expect(report.engine).toBe("tayga");
    expect(report.warnings).toContain("engine jool: `modprobe jool` failed, using tayga instead");
    await plane.close();
  });
});
