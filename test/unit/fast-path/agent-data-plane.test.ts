import { describe, expect, it } from "vitest";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { Nat64DataPlane } from "../../../src/relay-agent/nat64/runtime.ts";
import type { ChildHandle } from "../../../src/relay-agent/nat64/tayga-supervisor.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "../nat64/helpers.ts";

/** A tayga that exits when told to. */
const launch = (): ChildHandle => {
  const listeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  return {
    pid: 1,
    kill: (signal) =>
      queueMicrotask(() => {
        for (const listener of listeners) listener(null, signal ?? "SIGTERM");
      }),
    onExit: (listener) => listeners.push(listener),
  };
};

async function plane() {
  const host = fakeHost();
  const logs: string[] = [];
  const dataPlane = new Nat64DataPlane({
    host,
    paths: hostPaths(await tempRoot()),
    launch,
    healthIntervalMs: 0,
    log: (line) => logs.push(line),
  });
  return { host, logs, dataPlane };
}

describe("the agent's data plane with the fast path", () => {
  it("attaches it by default after tayga's tun exists; a second apply changes nothing", async () => {
    const { host, dataPlane } = await plane();
    const first = await dataPlane.apply(resolvedConfig());
    expect(first.changes.at(-1)).toMatch(
      /^attach the fast path to nat64relay egress: nat64_fast_path-[0-9a-f]{12}\.o:\[tc\], 0 clients$/,
    );
    expect([...host.bpf.filters.keys()]).toEqual(["nat64relay"]);
    expect((await dataPlane.apply(resolvedConfig())).changes).toEqual([]);
    await dataPlane.close();
  });

  it("fastPath: off on a reload removes program, qdisc and maps; tayga keeps running", async () => {
    const { host, dataPlane } = await plane();
    await dataPlane.apply(resolvedConfig());
    const off = await dataPlane.apply(resolvedConfig({ fastPath: "off" }));
    expect(off.changes).toEqual([
      expect.stringMatching(
        /^detach the fast path from nat64relay; delete clsact on nat64relay; remove /,
      ),
    ]);
    expect(host.bpf.filters.size).toBe(0);
    expect(host.bpf.clsact.size).toBe(0);
    expect(host.bpf.kernelMaps.size).toBe(0);
    expect(dataPlane.taygaPid).toBe(1);
    await dataPlane.close();
  });

  it("a program the kernel refuses: one clear line, tayga only, not repeated on the next apply", async () => {
    const { host, logs, dataPlane } = await plane();
    host.bpf.attachError = "Error: loading the program failed: Operation not permitted";
    const first = await dataPlane.apply(resolvedConfig());
    expect(first.warnings).toEqual([
      "fast path not loaded: Error: loading the program failed: Operation not permitted; tayga translates everything",
    ]);
    await dataPlane.apply(resolvedConfig());
    expect(logs.filter((line) => line.includes("fast path"))).toEqual([
      "warning: fast path not loaded: Error: loading the program failed: Operation not permitted; tayga translates everything",
    ]);
    expect(host.bpf.filters.size).toBe(0);
    expect(host.bpf.clsact.size).toBe(0);
    expect(dataPlane.taygaPid).toBe(1);
    // Each apply tried again (the cause can go away without a config change) ...
    const attaches = () => host.bpf.calls.filter((call) => call.startsWith("filter replace"));
    expect(attaches()).toHaveLength(2);
    // ... and once the kernel takes it, the next apply attaches it.
    host.bpf.attachError = undefined;
    const fixed = await dataPlane.apply(resolvedConfig());
    expect(fixed.changes).toEqual([expect.stringMatching(/^attach the fast path to nat64relay/)]);
    expect([...host.bpf.filters.keys()]).toEqual(["nat64relay"]);
    await dataPlane.close();
  });

  it("engine none has no fast path", async () => {
    const { host, dataPlane } = await plane();
    await dataPlane.apply(resolvedConfig({ engine: "none" }));
    expect(host.bpf.calls).toEqual([]);
    await dataPlane.close();
  });
});
