// The tayga process as a data-plane resource: started when missing, restarted (effect
// restart-translator) when the config it was started with or its tun changed, stopped when the
// desired state has no tayga; a command that cannot supervise it only reports it.
import { describe, expect, it } from "vitest";
import type { RelayConfigInput } from "../../../src/core/index.ts";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { Nat64DataPlane } from "../../../src/relay-agent/nat64/runtime.ts";
import type { ChildHandle } from "../../../src/relay-agent/nat64/tayga-supervisor.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import { applyPlan, planDataPlane, planHealth } from "../../../src/relay-agent/resources/plan.ts";
import { readRecord, writeRecord } from "../../../src/relay-agent/resources/record.ts";
import { taygaProcessResource } from "../../../src/relay-agent/resources/tayga-process.ts";
import { type FakeHost, fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "./helpers.ts";

type Paths = ReturnType<typeof hostPaths>;

async function setup() {
  return { host: fakeHost(), paths: hostPaths(await tempRoot()) };
}

async function apply(host: FakeHost, paths: Paths, overrides: Partial<RelayConfigInput> = {}) {
  const desired = desiredDataPlane(resolvedConfig(overrides), paths);
  const record = await readRecord(paths.dataPlaneRecord);
  const plan = await planDataPlane(desired, host, record);
  await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
  return plan.changes.filter((change) => change.resource === "tayga-process");
}

const described = (changes: Awaited<ReturnType<typeof apply>>) =>
  changes.map((change) => [change.summary, change.effects, change.undo]);

/** The tayga check as the doctor names it on this relay. */
const TAYGA_CHECK = { id: "tayga", title: "tayga running on nat64relay" };

async function taygaHealth(host: FakeHost, paths: Paths, overrides = {}) {
  const desired = desiredDataPlane(resolvedConfig(overrides), paths);
  const results = await planHealth(desired, host, await readRecord(paths.dataPlaneRecord));
  return results.find((result) => result.id === "tayga");
}

describe("the tayga process resource", () => {
  it("starts a missing tayga once, recording the config it was started with", async () => {
    const { host, paths } = await setup();
    expect(described(await apply(host, paths))).toEqual([
      [`start tayga --config ${paths.taygaConf}`, ["restart-translator"], false],
    ]);
    expect(host.tayga.calls).toEqual([`start ${paths.taygaConf}`]);
    const record = await readRecord(paths.dataPlaneRecord);
    expect(record.tayga).toEqual({
      confPath: paths.taygaConf,
      conf: desiredDataPlane(resolvedConfig(), paths).tayga?.conf,
    });
    expect(await apply(host, paths)).toEqual([]);
    expect(await taygaHealth(host, paths)).toEqual({
      ...TAYGA_CHECK,
      status: "pass",
      detail: "process up",
    });
  });

  it("restarts it when its config changes (the pool), not when only DNS keys change", async () => {
    const { host, paths } = await setup();
    await apply(host, paths);
    expect(await apply(host, paths, { maxTtl: 60 })).toEqual([]);
    expect(described(await apply(host, paths, { pool: "192.168.0.0/20" }))).toEqual([
      ["restart tayga (started with another tayga.conf)", ["restart-translator"], false],
    ]);
    expect(host.tayga.calls).toEqual([`start ${paths.taygaConf}`, `restart ${paths.taygaConf}`]);
    expect(await apply(host, paths, { pool: "192.168.0.0/20" })).toEqual([]);
  });

  it("restarts it when its tun went away (the tun is recreated first)", async () => {
    const { host, paths } = await setup();
    await apply(host, paths);
    await host.ip.deleteLink("nat64relay");
    expect(described(await apply(host, paths))).toEqual([
      ["restart tayga (its tun nat64relay is missing or down)", ["restart-translator"], false],
    ]);
    expect(host.ip.links.get("nat64relay")).toEqual({ up: true });
  });

  it("is stopped, before its tun goes, when the engine is no longer tayga", async () => {
    const { host, paths } = await setup();
    await apply(host, paths);
    const desired = desiredDataPlane(resolvedConfig({ engine: "none" }), paths);
    const plan = await planDataPlane(desired, host, await readRecord(paths.dataPlaneRecord));
    const order = plan.changes.map((change) => change.resource);
    expect(order.indexOf("tayga-process")).toBeLessThan(order.indexOf("tun"));
    expect(described(await apply(host, paths, { engine: "none" }))).toEqual([
      ["stop tayga (pid 100)", [], true],
    ]);
    expect(host.tayga.pids.size).toBe(0);
    expect((await readRecord(paths.dataPlaneRecord)).tayga).toBeUndefined();
  });

  it("where nothing can supervise it (agent apply, doctor): no change, the doctor fails the check", async () => {
    const { host, paths } = await setup();
    // What `agent apply` and the doctor have: /proc and signals, no supervisor.
    const bare = {
      ...host,
      tayga: {
        running: (confPath: string) => host.tayga.running(confPath),
        stop: (confPath: string) => host.tayga.stop(confPath),
      },
    } as unknown as FakeHost;
    expect(await apply(bare, paths)).toEqual([]);
    expect(await taygaHealth(bare, paths)).toEqual({
      ...TAYGA_CHECK,
      status: "fail",
      detail: "no tayga process",
      cause: "nothing translates: packets to the prefix go nowhere",
      fix: "start the agent (`systemctl restart nat64-relay-agent`); it supervises tayga",
    });
  });

  it("observes nothing on a host that never had tayga", async () => {
    const { host, paths } = await setup();
    const desired = desiredDataPlane(resolvedConfig({ engine: "none" }), paths);
    const record = await readRecord(paths.dataPlaneRecord);
    const observed = await taygaProcessResource.observe({ desired, record, host });
    expect(observed).toEqual({ pids: [], tunUp: false });
    expect(taygaProcessResource.plan(desired, observed, record, host).changes).toEqual([]);
    expect(host.tayga.calls).toEqual([]);
  });
});

describe("agent run's tayga, through the resource", () => {
  function launcher() {
    const started: number[] = [];
    const exits: Array<() => void> = [];
    const launch = (): ChildHandle => {
      const pid = started.length + 1;
      started.push(pid);
      const listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
      const exit = (code: number | null, signal: NodeJS.Signals | null) => {
        for (const listener of listeners) listener(code, signal);
      };
      exits.push(() => exit(1, null));
      return {
        pid,
        kill: (signal) => queueMicrotask(() => exit(null, signal ?? "SIGTERM")),
        onExit: (listener) => listeners.push(listener),
      };
    };
    return { started, exits, launch };
  }

  const dataPlane = async (launch: () => ChildHandle) =>
    new Nat64DataPlane({
      host: fakeHost(),
      paths: hostPaths(await tempRoot()),
      launch,
      healthIntervalMs: 0,
    });

  it("a pool change restarts it once; engine none stops it; tayga again starts a new one", async () => {
    const { started, launch } = launcher();
    const plane = await dataPlane(launch);
    await plane.apply(resolvedConfig());
    expect(plane.taygaPid).toBe(1);
    const changed = await plane.apply(resolvedConfig({ pool: "192.168.0.0/20" }));
    expect(changed.changes).toContain("restart tayga (started with another tayga.conf)");
    expect(plane.taygaPid).toBe(2);
    const none = await plane.apply(resolvedConfig({ engine: "none" }));
    expect(none.changes).toContain("stop tayga (pid 2)");
    expect(plane.taygaPid).toBeUndefined();
    await plane.apply(resolvedConfig());
    expect(started).toEqual([1, 2, 3]);
    await plane.close();
  });

  it("keeps restarting it when it exits, outside any apply", async () => {
    const { started, exits, launch } = launcher();
    const plane = await dataPlane(launch);
    await plane.apply(resolvedConfig());
    exits[0]?.();
    const deadline = Date.now() + 3000;
    while (started.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([1, 2]);
    expect(plane.taygaPid).toBe(2);
    // The next apply sees the restarted tayga as the one it wants.
    expect((await plane.apply(resolvedConfig())).changes).toEqual([]);
    await plane.close();
  });
});
