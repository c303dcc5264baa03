import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import {
  pathSplit,
  readCounters,
} from "../../../src/relay-agent/resources/accelerators/fast-path/counters.ts";
import {
  type FastPathDesired,
  type FastPathRecord,
  observeFastPath,
  planFastPath,
} from "../../../src/relay-agent/resources/accelerators/fast-path/fast-path-state.ts";
import {
  formatIpv4Bytes,
  formatIpv6Bytes,
} from "../../../src/relay-agent/resources/accelerators/fast-path/map-codec.ts";
import { FastPathMirror } from "../../../src/relay-agent/resources/accelerators/fast-path/mirror.ts";
import { MAPS } from "../../../src/relay-agent/resources/accelerators/fast-path/program.ts";
import { FakeBpfTools } from "../../fakes/fake-bpf-tools.ts";

const DEVICE = "nat64relay";

let root: string;
let desired: FastPathDesired;
let tools: FakeBpfTools;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "n64-fastpath-"));
  await mkdir(join(root, "tayga"));
  desired = {
    device: DEVICE,
    prefix: "fd4e:2a91:7c3d:6464::/96",
    pool: "192.168.240.0/20",
    dynamicMap: join(root, "tayga/dynamic.map"),
    objectDir: join(root, "bpf"),
  };
  tools = new FakeBpfTools();
  tools.devices.add(DEVICE);
});

const taygaAssigned = (pairs: [string, string][]) =>
  writeFile(
    desired.dynamicMap,
    `### TAYGA dynamic map database\n\n${pairs.map(([v4, v6]) => `${v4}\t${v6}\t1796128630\n`).join("")}`,
  );

/** plan + run every change, as the data plane's apply does. */
async function apply(want: FastPathDesired | undefined, record: FastPathRecord | undefined) {
  const observed = await observeFastPath(want, record, tools);
  const plan = planFastPath(want, observed, record, tools);
  let current = record;
  for (const change of plan.changes) current = await change.run(current);
  return { plan, record: current };
}

function mapContents(name: string, key: (b: Buffer) => string, value: (b: Buffer) => string) {
  const program = tools.filters.get(DEVICE);
  const map = [...tools.kernelMaps.values()].find(
    (candidate) => candidate.name === name && program !== undefined,
  );
  return Object.fromEntries(
    [...(map?.entries ?? [])].map(([k, v]) => [
      key(Buffer.from(k, "hex")),
      value(v[0] ?? Buffer.alloc(0)),
    ]),
  );
}

describe("fast path planner", () => {
  it("compiles, adds clsact, attaches and fills the maps with tayga's pairs; twice = no change", async () => {
    await taygaAssigned([["192.168.253.33", "fd7a:115c:a1e0::2"]]);
    const first = await apply(desired, undefined);
    expect(first.plan.changes.map((change) => change.summary)).toEqual([
      expect.stringMatching(
        /^attach the fast path to nat64relay egress: nat64_fast_path-[0-9a-f]{12}\.o:\[tc\], 1 client$/,
      ),
    ]);
    expect(tools.calls).toEqual([
      "compile nat64_fast_path.c",
      "qdisc add nat64relay clsact",
      expect.stringMatching(/^filter replace nat64relay nat64_fast_path-[0-9a-f]{12}\.o$/),
      "batch 3",
    ]);
    expect(first.record).toEqual({
      device: DEVICE,
      addedClsact: true,
      objects: [expect.stringMatching(/nat64_fast_path-[0-9a-f]{12}\.o$/)],
    });
    expect(mapContents(MAPS.v6ToV4, formatIpv6Bytes, formatIpv4Bytes)).toEqual({
      "fd7a:115c:a1e0::2": "192.168.253.33",
    });
    expect(mapContents(MAPS.v4ToV6, formatIpv4Bytes, formatIpv6Bytes)).toEqual({
      "192.168.253.33": "fd7a:115c:a1e0::2",
    });
    const second = await apply(desired, first.record);
    expect(second.plan).toEqual({ changes: [], warnings: [] });
  });

  it("a new client and a moved address change only the maps, deletes first", async () => {
    await taygaAssigned([["192.168.253.33", "fd7a:115c:a1e0::2"]]);
    const { record } = await apply(desired, undefined);
    await taygaAssigned([
      ["192.168.253.33", "fd7a:115c:a1e0::7"],
      ["192.168.240.5", "fd7a:115c:a1e0::3"],
    ]);
    const next = await apply(desired, record);
    expect(next.plan.changes.map((change) => change.summary)).toEqual([
      "fast path maps on nat64relay: +2 -1 clients",
    ]);
    expect(mapContents(MAPS.v6ToV4, formatIpv6Bytes, formatIpv4Bytes)).toEqual({
      "fd7a:115c:a1e0::7": "192.168.253.33",
      "fd7a:115c:a1e0::3": "192.168.240.5",
    });
    expect(mapContents(MAPS.v4ToV6, formatIpv4Bytes, formatIpv6Bytes)).toEqual({
      "192.168.253.33": "fd7a:115c:a1e0::7",
      "192.168.240.5": "fd7a:115c:a1e0::3",
    });
  });

  it("off: detaches, deletes the clsact it added and its objects; nothing is left", async () => {
    await taygaAssigned([["192.168.253.33", "fd7a:115c:a1e0::2"]]);
    const { record } = await apply(desired, undefined);
    const off = await apply(undefined, record);
    expect(off.plan.changes.map((change) => [change.undo, change.summary])).toEqual([
      [
        true,
        expect.stringMatching(
          /^detach the fast path from nat64relay; delete clsact on nat64relay; remove .*\.o$/,
        ),
      ],
    ]);
    expect(off.record).toBeUndefined();
    expect(tools.filters.size).toBe(0);
    expect(tools.clsact.size).toBe(0);
    expect(tools.kernelMaps.size).toBe(0);
    expect(await readdir(root)).toEqual(["tayga"]);
    expect((await apply(undefined, undefined)).plan).toEqual({ changes: [], warnings: [] });
  });

  it("keeps a clsact qdisc that was there before", async () => {
    tools.clsact.add(DEVICE);
    const { record } = await apply(desired, undefined);
    expect(record?.addedClsact).toBe(false);
    await apply(undefined, record);
    expect([...tools.clsact]).toEqual([DEVICE]);
    expect(tools.filters.size).toBe(0);
  });

  it("a refused load leaves nothing attached, is recorded, and is tried again on the next apply", async () => {
    tools.attachError = "Error: bpf: Operation not permitted (lockdown or no CAP_BPF)";
    const first = await apply(desired, undefined);
    expect(tools.filters.size).toBe(0);
    expect(tools.clsact.size).toBe(0);
    expect(first.record?.loadFailed?.reason).toBe(
      "Error: bpf: Operation not permitted (lockdown or no CAP_BPF)",
    );
    // Still refused: tried again, nothing left attached, the reason kept for the doctor.
    const again = await apply(desired, first.record);
    expect(again.plan.changes.map((change) => change.kind)).toEqual(["attach"]);
    expect(tools.filters.size).toBe(0);
    expect(tools.clsact.size).toBe(0);
    expect(again.record?.loadFailed?.reason).toBe(
      "Error: bpf: Operation not permitted (lockdown or no CAP_BPF)",
    );
    // The kernel takes it now (capabilities granted, lockdown lifted): attached, failure forgotten.
    tools.attachError = undefined;
    const later = await apply(desired, again.record);
    expect(later.plan.changes.map((change) => change.kind)).toEqual(["attach"]);
    expect([...tools.filters.keys()]).toEqual([DEVICE]);
    expect(later.record?.loadFailed).toBeUndefined();
    // Turning it off removes what it attached and the compiled object.
    const off = await apply(undefined, later.record);
    expect(off.record).toBeUndefined();
    expect(await readdir(root)).toEqual(["tayga"]);
  });

  it("without clang it says what to install and changes nothing", async () => {
    tools.missing = ["clang", "libbpf-dev"];
    const result = await apply(desired, undefined);
    expect(result.plan).toEqual({
      changes: [],
      warnings: [
        "fast path unavailable: clang, libbpf-dev not installed (apt-get install clang llvm libbpf-dev bpftool); tayga translates everything",
      ],
    });
    expect(tools.calls).toEqual([]);
  });

  it("a non-/96 prefix is refused with the reason; anything attached before is removed", async () => {
    const { record } = await apply(desired, undefined);
    const wide = { ...desired, prefix: "fd4e:2a91:7c3d::/64" };
    const result = await apply(wide, record);
    expect(result.plan.warnings).toEqual([
      "the fast path handles /96 NAT64 prefixes only, not /64; tayga translates everything",
    ]);
    expect(result.record).toBeUndefined();
    expect(tools.filters.size).toBe(0);
  });

  it("re-attaches after the tun was recreated (its qdisc and maps went with it)", async () => {
    await taygaAssigned([["192.168.253.33", "fd7a:115c:a1e0::2"]]);
    const { record } = await apply(desired, undefined);
    tools.removeDevice(DEVICE);
    tools.devices.add(DEVICE);
    const again = await apply(desired, record);
    expect(again.plan.changes).toHaveLength(1);
    expect(tools.filters.get(DEVICE)).toBeDefined();
    expect(mapContents(MAPS.v6ToV4, formatIpv6Bytes, formatIpv4Bytes)).toEqual({
      "fd7a:115c:a1e0::2": "192.168.253.33",
    });
  });

  it("reads the counters as fast-path and tayga packets", async () => {
    await apply(desired, undefined);
    const program = tools.filters.get(DEVICE);
    if (!program) throw new Error("not attached");
    tools.count(program.programId, "FAST_V6_TO_V4_PACKETS", [10n, 5n]);
    tools.count(program.programId, "FAST_V4_TO_V6_PACKETS", [20n, 0n]);
    tools.count(program.programId, "TAYGA_V6_UNKNOWN_CLIENT", [3n, 1n]);
    tools.count(program.programId, "TAYGA_V4_NOT_TCP_UDP", [0n, 2n]);
    const ids = await tools.maps(program.programId);
    const split = pathSplit(await readCounters(tools, ids[MAPS.counters] ?? -1));
    expect(split).toEqual({
      fastPackets: 35n,
      fastBytes: 0n,
      taygaPackets: 6n,
      dropped: 0n,
      taygaReasons: [
        { reason: "v6_unknown_client", packets: 4n },
        { reason: "v4_not_tcp_udp", packets: 2n },
      ],
    });
  });
});

describe("fast path mirror", () => {
  it("copies tayga's new assignments into the maps once per change of the file", async () => {
    const { record } = await apply(desired, undefined);
    expect(record).toBeDefined();
    const lines: string[] = [];
    const mirror = new FastPathMirror({ tools, log: (line) => lines.push(line), intervalMs: 0 });
    mirror.follow(desired);
    expect(await mirror.sync()).toBeUndefined();
    await taygaAssigned([["192.168.240.5", "fd7a:115c:a1e0::3"]]);
    expect(await mirror.sync()).toBe(
      `fast path: 1 client mapped (+1 -0) from ${desired.dynamicMap}`,
    );
    expect(await mirror.sync()).toBeUndefined();
    expect(mapContents(MAPS.v4ToV6, formatIpv4Bytes, formatIpv6Bytes)).toEqual({
      "192.168.240.5": "fd7a:115c:a1e0::3",
    });
    expect(lines).toEqual([`fast path: 1 client mapped (+1 -0) from ${desired.dynamicMap}`]);
    mirror.close();
  });

  it("does nothing while the program is not attached", async () => {
    const mirror = new FastPathMirror({ tools, intervalMs: 0 });
    mirror.follow(desired);
    await taygaAssigned([["192.168.240.5", "fd7a:115c:a1e0::3"]]);
    expect(await mirror.sync()).toBeUndefined();
    expect(tools.calls).toEqual([]);
    mirror.close();
  });
});

describe("fast path on a host whose tc fails", () => {
  it("plans nothing and says why; the data plane goes on", async () => {
    const broken = new FakeBpfTools({ deviceExists: () => true });
    broken.clsact.add(DEVICE);
    broken.attached = async () => {
      throw new Error("tc: command not found");
    };
    const observed = await observeFastPath(desired, undefined, broken);
    expect(planFastPath(desired, observed, undefined, broken)).toEqual({
      changes: [],
      warnings: ["fast path unavailable: tc: command not found; tayga translates everything"],
    });
  });
});
