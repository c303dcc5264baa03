// Every host resource planned on its own (from an empty host, and from each other engine's
// data plane), and the whole plan: switching engines in any direction lands on exactly what a
// fresh host would have, and the empty state (teardown) leaves exactly what was there before.
import { describe, expect, it } from "vitest";
import type { Nat64Engine } from "../../../src/core/index.ts";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { advertisedRoutesResource } from "../../../src/relay-agent/resources/advertised-routes.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import { filesResource } from "../../../src/relay-agent/resources/files.ts";
import { LEFTOVERS_CHECK } from "../../../src/relay-agent/resources/health-check.ts";
import { joolInstanceResource } from "../../../src/relay-agent/resources/jool-instance.ts";
import { nftTableResource } from "../../../src/relay-agent/resources/nft-table.ts";
import {
  applyPlan,
  dataPlaneResources,
  planDataPlane,
  planHealth,
  planResources,
  teardownDataPlane,
} from "../../../src/relay-agent/resources/plan.ts";
import {
  EMPTY_RECORD,
  readRecord,
  writeRecord,
} from "../../../src/relay-agent/resources/record.ts";
import type { HostResource } from "../../../src/relay-agent/resources/resource.ts";
import { routesResource } from "../../../src/relay-agent/resources/routes.ts";
import { sysctlsResource } from "../../../src/relay-agent/resources/sysctls.ts";
import { tunResource } from "../../../src/relay-agent/resources/tun.ts";
import { type FakeHost, fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "../nat64/helpers.ts";
import { hostState, recordContent } from "./host-state.ts";

const ENGINES: readonly Nat64Engine[] = ["tayga", "jool", "none"];
const PREFIX = "fd4e:2a91:7c3d:6464::/96";

async function setup() {
  const host = fakeHost({ routes: ["10.0.0.0/24"], jool: true });
  const paths = hostPaths(await tempRoot());
  return { host, paths };
}

async function applyEngine(
  host: FakeHost,
  paths: ReturnType<typeof hostPaths>,
  engine: Nat64Engine,
) {
  const desired = desiredDataPlane(resolvedConfig({ engine }), paths);
  const record = await readRecord(paths.dataPlaneRecord);
  const plan = await planDataPlane(desired, host, record);
  await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
  return plan;
}

/** The compiled object the fast path's record says it wrote. */
function fastPathObject(paths: ReturnType<typeof hostPaths>, host: FakeHost): string {
  const attached = [...host.bpf.filters.values()][0]?.objectName ?? "";
  return `${paths.stateDir}/bpf/${attached.replace(/:\[tc\]$/, "")}`;
}

async function planOne(
  resource: HostResource,
  host: FakeHost,
  paths: ReturnType<typeof hostPaths>,
  engine: Nat64Engine,
) {
  const desired = desiredDataPlane(resolvedConfig({ engine }), paths);
  const record = await readRecord(paths.dataPlaneRecord);
  const observed = await resource.observe({ desired, record, host });
  const plan = resource.plan(desired, observed, record, host);
  return plan.changes.map((change) => `${change.summary} ${JSON.stringify(change.effects)}`);
}

describe("each resource planned from an empty host", () => {
  it("tayga: forwarding, files, the tun, its routes, the table, the advertised prefix", async () => {
    const { host, paths } = await setup();
    const plans = await Promise.all(
      dataPlaneResources().map(async (resource) => [
        resource.name,
        await planOne(resource, host, paths, "tayga"),
      ]),
    );
    expect(Object.fromEntries(plans)).toEqual({
      sysctls: [
        "sysctl net.ipv4.ip_forward: 0 → 1 []",
        "sysctl net.ipv6.conf.all.forwarding: 0 → 1 []",
      ],
      files: [
        `write ${paths.sysctlFile} (sysctls) []`,
        `write ${paths.taygaConf} (tayga.conf) ["restart-translator"]`,
        `create directory ${paths.taygaDataDir} []`,
      ],
      tun: [
        'create tun nat64relay (tayga --mktun) ["tun-recreated"]',
        'set nat64relay up ["tun-recreated"]',
      ],
      routes: [
        `add route ${PREFIX} dev nat64relay []`,
        "add route 192.168.240.0/20 dev nat64relay []",
      ],
      "jool-instance": [],
      "nft-table": ['create table inet nat64_relay (one nft -f transaction) ["table-created"]'],
      // After the table: nothing is translated before the guard is in place.
      "tayga-process": [`start tayga --config ${paths.taygaConf} ["restart-translator"]`],
      "advertised-routes": [
        `tailscale set --advertise-routes=10.0.0.0/24,${PREFIX} (+${PREFIX}; was 10.0.0.0/24) []`,
      ],
      // The accelerator on top: it attaches to the tun planned above.
      "fast-path": [
        expect.stringMatching(
          /^attach the fast path to nat64relay egress: nat64_fast_path-[0-9a-f]{12}\.o:\[tc\], 0 clients \["accelerator-attached"\]$/,
        ),
      ],
    });
  });

  it("jool: forwarding, the sysctl file, the jool instance, the table, the advertised prefix", async () => {
    const { host, paths } = await setup();
    const plans = await Promise.all(
      dataPlaneResources().map(async (resource) => [
        resource.name,
        await planOne(resource, host, paths, "jool"),
      ]),
    );
    expect(Object.fromEntries(plans)).toEqual({
      sysctls: [
        "sysctl net.ipv4.ip_forward: 0 → 1 []",
        "sysctl net.ipv6.conf.all.forwarding: 0 → 1 []",
      ],
      files: [`write ${paths.sysctlFile} (sysctls) []`],
      tun: [],
      routes: [],
      "jool-instance": [
        `modprobe jool; jool instance add nat64_relay --netfilter --pool6 ${PREFIX} ["restart-translator"]`,
      ],
      "nft-table": ['create table inet nat64_relay (one nft -f transaction) ["table-created"]'],
      "tayga-process": [],
      "advertised-routes": [
        `tailscale set --advertise-routes=10.0.0.0/24,${PREFIX} (+${PREFIX}; was 10.0.0.0/24) []`,
      ],
      // Jool translates in the kernel already: no fast path.
      "fast-path": [],
    });
  });

  it("none: nothing at all, and no host tool is even asked", async () => {
    const { host, paths } = await setup();
    for (const resource of dataPlaneResources()) {
      expect(await planOne(resource, host, paths, "none")).toEqual([]);
    }
    expect(host.commands).toEqual([]);
    expect(host.tailscale.calls).toEqual([]);
  });
});

describe("each resource planned from another engine's data plane", () => {
  it("tayga → jool: tayga's files, tun and routes go; jool and a replaced table come", async () => {
    const { host, paths } = await setup();
    await applyEngine(host, paths, "tayga");
    expect(await planOne(sysctlsResource, host, paths, "jool")).toEqual([]);
    expect(await planOne(filesResource, host, paths, "jool")).toEqual([
      `remove ${paths.taygaConf} []`,
      `remove ${paths.taygaDataDir} []`,
    ]);
    expect(await planOne(tunResource, host, paths, "jool")).toEqual(["delete tun nat64relay []"]);
    // Its routes go with the tun.
    expect(await planOne(routesResource, host, paths, "jool")).toEqual([]);
    expect(await planOne(joolInstanceResource, host, paths, "jool")).toEqual([
      `modprobe jool; jool instance add nat64_relay --netfilter --pool6 ${PREFIX} ["restart-translator"]`,
    ]);
    expect(await planOne(nftTableResource, host, paths, "jool")).toEqual([
      'replace (differs from desired) table inet nat64_relay (one nft -f transaction) ["table-replaced"]',
    ]);
    expect(await planOne(advertisedRoutesResource, host, paths, "jool")).toEqual([]);
  });

  it("jool → tayga: the jool instance goes; tayga's files, tun and routes come", async () => {
    const { host, paths } = await setup();
    await applyEngine(host, paths, "jool");
    expect(await planOne(sysctlsResource, host, paths, "tayga")).toEqual([]);
    expect(await planOne(filesResource, host, paths, "tayga")).toEqual([
      `write ${paths.taygaConf} (tayga.conf) ["restart-translator"]`,
      `create directory ${paths.taygaDataDir} []`,
    ]);
    expect(await planOne(tunResource, host, paths, "tayga")).toEqual([
      'create tun nat64relay (tayga --mktun) ["tun-recreated"]',
      'set nat64relay up ["tun-recreated"]',
    ]);
    expect(await planOne(routesResource, host, paths, "tayga")).toEqual([
      `add route ${PREFIX} dev nat64relay []`,
      "add route 192.168.240.0/20 dev nat64relay []",
    ]);
    expect(await planOne(joolInstanceResource, host, paths, "tayga")).toEqual([
      "jool instance remove nat64_relay []",
    ]);
    expect(await planOne(nftTableResource, host, paths, "tayga")).toEqual([
      'replace (differs from desired) table inet nat64_relay (one nft -f transaction) ["table-replaced"]',
    ]);
  });

  for (const from of ["tayga", "jool"] as const) {
    it(`${from} → none: every resource plans the undo of exactly what it added`, async () => {
      const { host, paths } = await setup();
      await applyEngine(host, paths, from);
      const plans = Object.fromEntries(
        await Promise.all(
          dataPlaneResources().map(async (resource) => [
            resource.name,
            await planOne(resource, host, paths, "none"),
          ]),
        ),
      );
      expect(plans).toEqual({
        sysctls: [
          "sysctl net.ipv4.ip_forward = 0 (as before) []",
          "sysctl net.ipv6.conf.all.forwarding = 0 (as before) []",
        ],
        files: [
          `remove ${paths.sysctlFile} []`,
          ...(from === "tayga"
            ? [`remove ${paths.taygaConf} []`, `remove ${paths.taygaDataDir} []`]
            : []),
          // Made only to hold the sysctl file: removed when empty.
          `remove ${paths.root}/etc/sysctl.d (if empty) []`,
          `remove ${paths.root}/etc (if empty) []`,
        ],
        tun: from === "tayga" ? ["delete tun nat64relay []"] : [],
        routes: [],
        "jool-instance": from === "jool" ? ["jool instance remove nat64_relay []"] : [],
        "nft-table": ['delete table inet nat64_relay ["table-deleted"]'],
        "tayga-process": from === "tayga" ? ["stop tayga (pid 100) []"] : [],
        "advertised-routes": [
          `tailscale set --advertise-routes=10.0.0.0/24 (-${PREFIX}; was 10.0.0.0/24,${PREFIX}) []`,
        ],
        "fast-path":
          from === "tayga"
            ? [
                `detach the fast path from nat64relay; delete clsact on nat64relay; remove ${fastPathObject(paths, host)} ["accelerator-detached"]`,
              ]
            : [],
      });
    });
  }
});

describe("switching engines", () => {
  for (const from of ENGINES) {
    for (const to of ENGINES) {
      if (from === to) continue;
      it(`${from} → ${to} leaves exactly what a fresh host gets from ${to}, and a second apply finds nothing`, async () => {
        const fresh = await setup();
        await applyEngine(fresh.host, fresh.paths, to);
        const { host, paths } = await setup();
        await applyEngine(host, paths, from);
        await applyEngine(host, paths, to);
        expect(await hostState(host, paths)).toEqual(await hostState(fresh.host, fresh.paths));
        expect(await recordContent(paths)).toEqual(await recordContent(fresh.paths));
        expect((await applyEngine(host, paths, to)).changes).toEqual([]);
      });
    }
  }
});

describe("what the doctor reads off the plans", () => {
  for (const from of ENGINES) {
    for (const to of ENGINES) {
      if (from === to) continue;
      it(`${from} → ${to}: each addition fails a check its resource declares, each undo is a leftover; applied, all pass`, async () => {
        const { host, paths } = await setup();
        await applyEngine(host, paths, from);
        const desired = desiredDataPlane(resolvedConfig({ engine: to }), paths);
        const record = await readRecord(paths.dataPlaneRecord);
        const plans = await planResources(desired, host, record);
        const declared = new Set(plans.flatMap((plan) => plan.checks.map((check) => check.id)));
        const changes = plans.flatMap((plan) => plan.changes);
        expect(changes.length).toBeGreaterThan(0);
        for (const change of changes) {
          const id = change.drift.check.id;
          // An undo always reports a leftover; an addition a part its resource answers for
          // (or a leftover when it only takes back a route we advertised).
          if (change.undo) expect(id, change.summary).toBe(LEFTOVERS_CHECK.id);
          else expect(declared.has(id) || id === LEFTOVERS_CHECK.id, change.summary).toBe(true);
        }
        const failing = (await planHealth(desired, host, record)).filter(
          (result) => result.status !== "pass",
        );
        expect(failing.map((result) => result.id).sort()).toEqual(
          [...new Set(changes.map((change) => change.drift.check.id))].sort(),
        );
        await applyEngine(host, paths, to);
        const after = await planHealth(desired, host, await readRecord(paths.dataPlaneRecord));
        expect(after.map((result) => [result.id, result.status])).toEqual(
          [...declared].map((id) => [id, "pass"]),
        );
      });
    }
  }
});

describe("teardown is the empty state", () => {
  for (const engine of ["tayga", "jool"] as const) {
    it(`after ${engine}: engine none leaves the host exactly as before, the record empty`, async () => {
      const { host, paths } = await setup();
      const before = await hostState(host, paths);
      await applyEngine(host, paths, engine);
      expect(await hostState(host, paths)).not.toEqual(before);
      await applyEngine(host, paths, "none");
      expect(await hostState(host, paths)).toEqual(before);
      expect(await recordContent(paths)).toEqual(
        (({ stateDirs: _, ...rest }) => rest)(EMPTY_RECORD),
      );
    });

    it(`after ${engine}: teardownDataPlane (uninstall) leaves the host exactly as before`, async () => {
      const { host, paths } = await setup();
      const before = await hostState(host, paths);
      await applyEngine(host, paths, engine);
      const result = await teardownDataPlane(
        host,
        await readRecord(paths.dataPlaneRecord),
        (next) => writeRecord(paths.dataPlaneRecord, next),
      );
      expect(result.failed).toEqual([]);
      expect(await hostState(host, paths)).toEqual(before);
      expect(await recordContent(paths)).toEqual(
        (({ stateDirs: _, ...rest }) => rest)(EMPTY_RECORD),
      );
    });
  }
});
