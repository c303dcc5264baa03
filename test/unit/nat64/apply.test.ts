import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { mergeAdvertisedRoutes } from "../../../src/relay-agent/resources/advertised-routes.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import {
  applyPlan,
  planDataPlane,
  teardownDataPlane,
} from "../../../src/relay-agent/resources/plan.ts";
import {
  type DataPlaneRecord,
  EMPTY_RECORD,
  readRecord,
  writeRecord,
} from "../../../src/relay-agent/resources/record.ts";
import { type FakeHost, fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "./helpers.ts";

async function applyOnce(host: FakeHost, root: string, overrides = {}) {
  const paths = hostPaths(root);
  const desired = desiredDataPlane(resolvedConfig(overrides), paths);
  const record = await readRecord(paths.dataPlaneRecord);
  const plan = await planDataPlane(desired, host, record);
  const next = await applyPlan(plan, record, (r) => writeRecord(paths.dataPlaneRecord, r));
  return { plan, record: next, paths };
}

describe("apply", () => {
  it("brings a bare host to the desired state", async () => {
    const host = fakeHost({ routes: ["10.0.0.0/24"] });
    const root = await tempRoot();
    const { plan, paths } = await applyOnce(host, root);
    expect(plan.changes.map((c) => c.area)).toEqual([
      "sysctl",
      "sysctl",
      "file",
      "file",
      "file",
      "tun",
      "tun",
      "route",
      "route",
      "nft",
      "tayga",
      "tailscale",
      "bpf",
    ]);
    expect(await host.sysctl.get("net.ipv4.ip_forward")).toBe("1");
    expect(host.ip.links.get("nat64relay")).toEqual({ up: true });
    expect(host.ip.routeTable.map((r) => r.destination)).toEqual([
      "fd4e:2a91:7c3d:6464::/96",
      "192.168.240.0/20",
    ]);
    expect(await host.nft.table("inet", "nat64_relay")).toMatchObject({
      chains: { refuse_foreign: 3, forward: 8, input: 1, postrouting: 1 },
    });
    expect(await readFile(paths.taygaConf, "utf8")).toContain("tun-device nat64relay");
    expect(host.tailscale.routes).toEqual(["10.0.0.0/24", "fd4e:2a91:7c3d:6464::/96"]);
    expect(plan.warnings).toEqual([]);
  });

  it("changes nothing the second time", async () => {
    const host = fakeHost();
    const root = await tempRoot();
    await applyOnce(host, root);
    const scripts = host.nft.scripts.length;
    const calls = host.tailscale.calls.filter((c) => c.startsWith("set")).length;
    const { plan } = await applyOnce(host, root);
    expect(plan.changes).toEqual([]);
    expect(host.nft.scripts.length).toBe(scripts);
    expect(host.tailscale.calls.filter((c) => c.startsWith("set")).length).toBe(calls);
  });

  it("repairs only what is missing (a deleted route, a table edited by hand)", async () => {
    const host = fakeHost();
    const root = await tempRoot();
    await applyOnce(host, root);
    await host.ip.deleteRoute({ family: 4, destination: "192.168.240.0/20", device: "nat64relay" });
    const table = host.nft.tables.get("inet nat64_relay");
    table?.chains.get("postrouting")?.rules.pop();
    const { plan } = await applyOnce(host, root);
    expect(plan.changes.map((c) => c.summary)).toEqual([
      "add route 192.168.240.0/20 dev nat64relay",
      "replace (differs from desired) table inet nat64_relay (one nft -f transaction)",
    ]);
  });

  it("keeps live guard entries when it replaces the table", async () => {
    const host = fakeHost();
    const root = await tempRoot();
    await applyOnce(host, root);
    await host.nft.run("add element inet nat64_relay allowed_v4 { 198.18.1.2 timeout 100s }\n");
    await applyOnce(host, root, { egressInterfaces: ["eth1"] });
    expect(await host.nft.elements("inet", "nat64_relay", "allowed_v4")).toEqual([
      { address: "198.18.1.2", expiresSeconds: 100 },
    ]);
  });

  it("moves routes and the advertised prefix when the prefix changes, never touching other routes", async () => {
    const host = fakeHost({ routes: ["10.0.0.0/24"] });
    const root = await tempRoot();
    await applyOnce(host, root);
    const { plan, paths } = await applyOnce(host, root, { prefix: "fd4e:2a91:7c3d:9999::/96" });
    expect(plan.changes.map((c) => c.summary)).toEqual([
      "delete route fd4e:2a91:7c3d:6464::/96 dev nat64relay",
      `write ${paths.taygaConf} (tayga.conf)`,
      "add route fd4e:2a91:7c3d:9999::/96 dev nat64relay",
      "replace (differs from desired) table inet nat64_relay (one nft -f transaction)",
      "restart tayga (started with another tayga.conf)",
      "tailscale set --advertise-routes=10.0.0.0/24,fd4e:2a91:7c3d:9999::/96 (+fd4e:2a91:7c3d:9999::/96 -fd4e:2a91:7c3d:6464::/96; was 10.0.0.0/24,fd4e:2a91:7c3d:6464::/96)",
      "fast path maps on nat64relay: prefix and pool",
    ]);
    expect(plan.effects).toEqual(new Set(["table-replaced", "restart-translator"]));
    expect(host.tailscale.routes).toEqual(["10.0.0.0/24", "fd4e:2a91:7c3d:9999::/96"]);
  });

  it("recognizes the prefix in tailscale's prefs however it is spelled", async () => {
    const host = fakeHost({ routes: ["10.0.0.0/24", "FD4E:2A91:7C3D:6464:0:0:0:0/96"] });
    const { plan } = await applyOnce(host, await tempRoot());
    expect(plan.changes.map((c) => c.area)).not.toContain("tailscale");
    expect(host.tailscale.routes).toEqual(["10.0.0.0/24", "FD4E:2A91:7C3D:6464:0:0:0:0/96"]);
    expect(
      mergeAdvertisedRoutes(
        ["10.0.0.0/24", "FD4E:2A91:7C3D:6464::/96"],
        [],
        ["fd4e:2a91:7c3d:6464::/96"],
      ),
    ).toEqual(["10.0.0.0/24"]);
  });

  it("skips tailscale with one clear warning when the CLI is absent", async () => {
    const host = fakeHost({ tailscaleInstalled: false });
    const { plan } = await applyOnce(host, await tempRoot());
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatch(
      /^tailscale CLI not found: not advertising fd4e:2a91:7c3d:6464::\/96/,
    );
    expect(host.tailscale.calls).toEqual([]);
  });

  it("skips tailscale with one clear warning when advertise is false", async () => {
    const host = fakeHost({ routes: ["10.0.0.0/24"] });
    const { plan } = await applyOnce(host, await tempRoot(), { advertise: false });
    expect(plan.warnings).toEqual([expect.stringMatching(/^advertise: false: not advertising/)]);
    expect(host.tailscale.routes).toEqual(["10.0.0.0/24"]);
  });

  it("engine none after tayga removes the data plane it had made", async () => {
    const host = fakeHost();
    const root = await tempRoot();
    await applyOnce(host, root);
    const { plan, paths } = await applyOnce(host, root, { engine: "none" });
    expect(plan.changes.map((c) => c.summary)).toEqual([
      `detach the fast path from nat64relay; delete clsact on nat64relay; remove ${paths.root}/var/lib/nat64-relay/bpf/nat64_fast_path-c0af5069dc35.o`,
      "stop tayga (pid 100)",
      "delete table inet nat64_relay",
      "delete tun nat64relay",
      `remove ${paths.root}/etc/sysctl.d/90-nat64-relay.conf`,
      `remove ${paths.taygaConf}`,
      `remove ${paths.taygaDataDir}`,
      `remove ${paths.root}/etc/sysctl.d (if empty)`,
      `remove ${paths.root}/etc (if empty)`,
      "sysctl net.ipv4.ip_forward = 0 (as before)",
      "sysctl net.ipv6.conf.all.forwarding = 0 (as before)",
      "tailscale set --advertise-routes= (-fd4e:2a91:7c3d:6464::/96; was fd4e:2a91:7c3d:6464::/96)",
    ]);
    expect(plan.effects).toEqual(new Set(["accelerator-detached", "table-deleted"]));
    expect(host.ip.links.size).toBe(0);
    expect(host.nft.tables.size).toBe(0);
  });
});

describe("teardown", () => {
  it("undoes exactly what apply did: sysctls back, files gone, only our route unadvertised", async () => {
    const host = fakeHost({ routes: ["10.0.0.0/24"] });
    const root = await tempRoot();
    const { record, paths } = await applyOnce(host, root);
    host.tailscale.routes = [...host.tailscale.routes, "10.1.0.0/24"];
    const result = await teardownDataPlane(host, record);
    expect(result.failed).toEqual([]);
    expect(await host.sysctl.get("net.ipv4.ip_forward")).toBe("0");
    expect(host.ip.links.size).toBe(0);
    expect(host.nft.tables.size).toBe(0);
    expect(host.tailscale.routes).toEqual(["10.0.0.0/24", "10.1.0.0/24"]);
    await expect(readFile(paths.sysctlFile, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("puts back a file apply overwrote instead of deleting it", async () => {
    const host = fakeHost();
    const root = await tempRoot();
    const paths = hostPaths(root);
    const operators = "# the operator's own\nnet.ipv4.ip_forward = 1\n";
    await mkdir(dirname(paths.sysctlFile), { recursive: true });
    await writeFile(paths.sysctlFile, operators);
    const { record } = await applyOnce(host, root);
    expect(await readFile(paths.sysctlFile, "utf8")).toContain("Written by nat64-relay");
    expect(record.files).not.toContain(paths.sysctlFile);
    expect(record.filesBefore).toEqual({ [paths.sysctlFile]: operators });
    // Rewriting it again (someone edited it) keeps the original, not the text in between.
    await writeFile(paths.sysctlFile, "edited\n");
    const again = await applyOnce(host, root);
    expect(again.plan.changes.map((change) => change.summary)).toEqual([
      `write ${paths.sysctlFile} (sysctls)`,
    ]);
    expect(again.record.filesBefore).toEqual({ [paths.sysctlFile]: operators });
    const result = await teardownDataPlane(host, again.record);
    expect(result.failed).toEqual([]);
    expect(result.done).toContain(`restore ${paths.sysctlFile} (as before)`);
    expect(await readFile(paths.sysctlFile, "utf8")).toBe(operators);
    await expect(stat(paths.taygaConf)).rejects.toThrow(/ENOENT/);
  });

  it("remembers the state directories it had to create to hold its record", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    await writeRecord(paths.dataPlaneRecord, EMPTY_RECORD);
    await writeRecord(paths.dataPlaneRecord, { ...EMPTY_RECORD, nftTable: true });
    expect((await readRecord(paths.dataPlaneRecord)).stateDirs).toEqual([
      `${root}/var`,
      `${root}/var/lib`,
      paths.stateDir,
    ]);
    const existing = hostPaths(await tempRoot());
    await mkdir(existing.stateDir, { recursive: true });
    await writeRecord(existing.dataPlaneRecord, EMPTY_RECORD);
    expect((await readRecord(existing.dataPlaneRecord)).stateDirs).toEqual([]);
    expect(await readdir(existing.stateDir)).toEqual(["data-plane.json"]);
  });

  it("does nothing with an empty record", async () => {
    const host = fakeHost();
    const record: DataPlaneRecord = EMPTY_RECORD;
    expect(await teardownDataPlane(host, record)).toEqual({ done: [], failed: [] });
  });
});

describe("mergeAdvertisedRoutes", () => {
  it("adds ours, removes only what we say, keeps order and the operator's routes", () => {
    expect(
      mergeAdvertisedRoutes(["10.0.0.0/24", "fd00::/96"], ["fd11::/96"], ["fd00::/96"]),
    ).toEqual(["10.0.0.0/24", "fd11::/96"]);
    expect(mergeAdvertisedRoutes(["a", "b"], ["b"], [])).toEqual(["a", "b"]);
  });
});

describe("tayga's dynamic map", () => {
  it("is removed when the pool changes, since its mappings point into the old pool", async () => {
    const { writeFile: write } = await import("node:fs/promises");
    const host = fakeHost();
    const root = await tempRoot();
    // Fast path off: its map sync (which copies tayga's pairs) is tested in test/unit/fast-path.
    const { paths } = await applyOnce(host, root, { fastPath: "off" });
    await write(`${paths.taygaDataDir}/dynamic.map`, "192.168.240.9 fd7a:115c:a1e0::2 1\n");
    const unchanged = await applyOnce(host, root, { fastPath: "off" });
    expect(unchanged.plan.changes).toEqual([]);
    const { plan } = await applyOnce(host, root, { pool: "192.168.0.0/20", fastPath: "off" });
    expect(plan.changes.map((c) => c.summary)).toContain(
      `remove ${paths.taygaDataDir}/dynamic.map (the pool changed)`,
    );
    await expect(readFile(`${paths.taygaDataDir}/dynamic.map`, "utf8")).rejects.toThrow(/ENOENT/);
  });
});
