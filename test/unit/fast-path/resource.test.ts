// The fast path as one of the data plane's resources: planned from an empty host, taken off
// exactly (fastPath: auto → off, and every engine switch), refused by the kernel without failing
// the apply, and judged by the doctor off the same plans.
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Nat64Engine, RelayConfigInput } from "../../../src/core/index.ts";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { fastPathResource } from "../../../src/relay-agent/resources/accelerators/fast-path/resource.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import {
  appliedOutcome,
  applyPlan,
  planDataPlane,
  planHealth,
} from "../../../src/relay-agent/resources/plan.ts";
import {
  acceleratorRecord,
  readRecord,
  writeRecord,
} from "../../../src/relay-agent/resources/record.ts";
import { type FakeHost, fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "../nat64/helpers.ts";
import { hostState, recordContent } from "../resources/host-state.ts";

type Paths = ReturnType<typeof hostPaths>;

async function setup() {
  return { host: fakeHost({ jool: true }), paths: hostPaths(await tempRoot()) };
}

async function applyConfig(host: FakeHost, paths: Paths, overrides: Partial<RelayConfigInput>) {
  const desired = desiredDataPlane(resolvedConfig(overrides), paths);
  const record = await readRecord(paths.dataPlaneRecord);
  const plan = await planDataPlane(desired, host, record);
  const after = await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
  return { plan, after, outcome: appliedOutcome(plan, after) };
}

async function planFastPathOnly(
  host: FakeHost,
  paths: Paths,
  overrides: Partial<RelayConfigInput>,
) {
  const desired = desiredDataPlane(resolvedConfig(overrides), paths);
  const record = await readRecord(paths.dataPlaneRecord);
  const observed = await fastPathResource.observe({ desired, record, host });
  return fastPathResource.plan(desired, observed, record, host);
}

const fastPathHealth = async (host: FakeHost, paths: Paths, overrides = {}) =>
  (
    await planHealth(
      desiredDataPlane(resolvedConfig(overrides), paths),
      host,
      await readRecord(paths.dataPlaneRecord),
    )
  ).find((result) => result.id === "fast-path");

describe("the fast path resource", () => {
  it("from an empty tayga host: one attach, typed, declaring the fast-path check; then nothing", async () => {
    const { host, paths } = await setup();
    await applyConfig(host, paths, { fastPath: "off" });
    const plan = await planFastPathOnly(host, paths, {});
    expect(plan.changes.map((change) => [change.area, change.effects, change.undo])).toEqual([
      ["bpf", ["accelerator-attached"], false],
    ]);
    expect(plan.changes[0]?.drift.detail).toBe(
      "not active (not attached); tayga translates everything",
    );
    expect(plan.checks.map((check) => [check.id, check.severity])).toEqual([["fast-path", "warn"]]);
    const { after } = await applyConfig(host, paths, {});
    const object = [...host.bpf.filters.values()][0]?.objectName.replace(/:\[tc\]$/, "");
    expect(after.accelerators).toEqual({
      fastPath: {
        device: "nat64relay",
        addedClsact: true,
        objects: [`${paths.stateDir}/bpf/${object}`],
      },
    });
    expect((await planFastPathOnly(host, paths, {})).changes).toEqual([]);
    expect(await fastPathHealth(host, paths)).toEqual({
      id: "fast-path",
      title: "fast path (tc-BPF on tayga's tun)",
      status: "pass",
      detail: "active on nat64relay: 0 clients mapped; fast path 0 packets (0 B), tayga 0 packets",
    });
  });

  it("auto → off undoes exactly what it added: host and record equal a host that never had it", async () => {
    const never = await setup();
    await applyConfig(never.host, never.paths, { fastPath: "off" });
    const { host, paths } = await setup();
    await applyConfig(host, paths, {});
    const off = await planFastPathOnly(host, paths, { fastPath: "off" });
    expect(
      off.changes.map((change) => [change.effects, change.undo, change.drift.check.id]),
    ).toEqual([[["accelerator-detached"], true, "leftovers"]]);
    const { outcome } = await applyConfig(host, paths, { fastPath: "off" });
    expect(outcome.done.map((change) => change.resource)).toEqual(["fast-path"]);
    expect(await hostState(host, paths)).toEqual(await hostState(never.host, never.paths));
    expect(await recordContent(paths)).toEqual(await recordContent(never.paths));
    expect(await fastPathHealth(host, paths, { fastPath: "off" })).toEqual({
      id: "fast-path",
      title: "fast path (tc-BPF on tayga's tun)",
      status: "pass",
      detail: "off (fastPath: off): tayga translates everything",
    });
  });

  it("after an upgrade from the agent that kept its slot in fast-path.json: off still undoes it, and the old file goes", async () => {
    const never = await setup();
    await applyConfig(never.host, never.paths, { fastPath: "off" });
    const { host, paths } = await setup();
    await applyConfig(host, paths, {});
    // The older agent's layout: the same slot, in a file of its own beside the record.
    const { accelerators, ...withoutSlot } = JSON.parse(
      await readFile(paths.dataPlaneRecord, "utf8"),
    );
    const legacy = join(dirname(paths.dataPlaneRecord), "fast-path.json");
    await writeFile(legacy, JSON.stringify(accelerators.fastPath));
    await writeFile(paths.dataPlaneRecord, JSON.stringify(withoutSlot));
    expect(acceleratorRecord(await readRecord(paths.dataPlaneRecord), "fastPath")).toEqual(
      accelerators.fastPath,
    );
    const { outcome } = await applyConfig(host, paths, { fastPath: "off" });
    expect(outcome.done.map((change) => change.resource)).toEqual(["fast-path"]);
    expect(await hostState(host, paths)).toEqual(await hostState(never.host, never.paths));
    expect(await recordContent(paths)).toEqual(await recordContent(never.paths));
    expect(await readFile(legacy, "utf8").catch((error) => error.code)).toBe("ENOENT");
  });

  const ENGINES: readonly Nat64Engine[] = ["tayga", "jool", "none"];
  for (const from of ENGINES) {
    for (const to of ENGINES) {
      if (from === to) continue;
      it(`${from} → ${to} with fastPath: auto lands on what a fresh ${to} host has`, async () => {
        const fresh = await setup();
        await applyConfig(fresh.host, fresh.paths, { engine: to, fastPath: "auto" });
        const { host, paths } = await setup();
        await applyConfig(host, paths, { engine: from, fastPath: "auto" });
        await applyConfig(host, paths, { engine: to, fastPath: "auto" });
        expect(await hostState(host, paths)).toEqual(await hostState(fresh.host, fresh.paths));
        expect(await recordContent(paths)).toEqual(await recordContent(fresh.paths));
        // Only tayga gets the program.
        expect([...host.bpf.filters.keys()]).toEqual(to === "tayga" ? ["nat64relay"] : []);
      });
    }
  }

  it("a program the kernel refuses: the apply goes on, the change is declined with one reason", async () => {
    const { host, paths } = await setup();
    host.bpf.attachError = "Error: bpf: Operation not permitted";
    const { outcome, after } = await applyConfig(host, paths, {});
    expect(outcome.declined).toEqual([
      "fast path not loaded: Error: bpf: Operation not permitted; tayga translates everything",
    ]);
    expect(outcome.done.map((change) => change.resource)).not.toContain("fast-path");
    expect(host.ip.links.get("nat64relay")).toEqual({ up: true });
    expect(host.bpf.filters.size).toBe(0);
    expect(host.bpf.clsact.size).toBe(0);
    expect(after.accelerators?.fastPath).toMatchObject({
      loadFailed: { reason: "Error: bpf: Operation not permitted" },
    });
    expect(await fastPathHealth(host, paths)).toEqual({
      id: "fast-path",
      title: "fast path (tc-BPF on tayga's tun)",
      status: "warn",
      detail:
        "not active (the kernel refused it: Error: bpf: Operation not permitted); tayga translates everything",
      fix: "needs CAP_BPF and CAP_NET_ADMIN, no kernel lockdown, Linux ≥ 5.14; then reload or restart the agent (every apply tries again)",
    });
  });

  it("no toolchain: nothing planned, a warning, and the doctor says what to install", async () => {
    const { host, paths } = await setup();
    host.bpf.missing = ["clang", "bpftool"];
    const { plan } = await applyConfig(host, paths, {});
    expect(plan.changes.filter((change) => change.resource === "fast-path")).toEqual([]);
    expect(plan.warnings).toEqual([
      "fast path unavailable: clang, bpftool not installed (apt-get install clang llvm libbpf-dev bpftool); tayga translates everything",
    ]);
    expect(await fastPathHealth(host, paths)).toEqual({
      id: "fast-path",
      title: "fast path (tc-BPF on tayga's tun)",
      status: "warn",
      detail: "not active (clang, bpftool not installed); tayga translates everything",
      fix: "install clang llvm libbpf-dev bpftool and reload or restart the agent",
    });
  });
});
