// A faithful in-memory stand-in for clang, tc and bpftool as the fast path uses them: devices
// with a clsact qdisc and our egress filter, each attach a fresh program with fresh maps (as tc
// loading an object does), map writes that fail like bpftool's (unknown map, deleting a key that
// is not there), and injectable failures (no toolchain, the kernel refusing the program).
import { writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type {
  AttachedProgram,
  BpfTools,
  MapEntry,
  MapWrite,
} from "../../src/relay-agent/resources/accelerators/fast-path/bpf-tools.ts";
import {
  COUNTER_NAMES,
  MAPS,
} from "../../src/relay-agent/resources/accelerators/fast-path/program.ts";

interface FakeMap {
  readonly name: string;
  readonly perCpu: boolean;
  readonly entries: Map<string, Buffer[]>;
}

const CPUS = 2;

export class FakeBpfTools implements BpfTools {
  readonly devices = new Set<string>();
  readonly clsact = new Set<string>();
  readonly filters = new Map<string, AttachedProgram>();
  readonly kernelMaps = new Map<number, FakeMap>();
  private readonly programMaps = new Map<number, number[]>();
  private nextId = 1;
  missing: string[] = [];
  /** Makes every attach fail with this tc error (e.g. no CAP_BPF, lockdown). */
  attachError: string | undefined;
  readonly calls: string[] = [];
  /** Where the devices live: the fake host's links, or the set above. */
  private readonly deviceExists: (device: string) => boolean;

  constructor(options: { deviceExists?: (device: string) => boolean } = {}) {
    this.deviceExists = options.deviceExists ?? ((device) => this.devices.has(device));
  }

  async compile(source: string, object: string): Promise<void> {
    this.calls.push(`compile ${basename(source)}`);
    if (this.missing.includes("clang")) throw new Error("clang: command not found");
    await writeFile(object, "fake BPF object\n");
  }

  async missingToolchain(): Promise<string[]> {
    return [...this.missing];
  }

  private device(device: string): void {
    if (!this.deviceExists(device)) {
      // The kernel took the qdisc, filter and maps with the device.
      this.dropFilter(device);
      this.clsact.delete(device);
      throw new Error(`Cannot find device "${device}"`);
    }
  }

  async hasClsact(device: string): Promise<boolean> {
    this.device(device);
    return this.clsact.has(device);
  }

  async addClsact(device: string): Promise<void> {
    this.device(device);
    if (this.clsact.has(device)) throw new Error("Error: Exclusivity flag on, cannot modify.");
    this.calls.push(`qdisc add ${device} clsact`);
    this.clsact.add(device);
  }

  async deleteClsact(device: string): Promise<void> {
    this.device(device);
    if (!this.clsact.has(device)) throw new Error("Error: Invalid handle.");
    this.calls.push(`qdisc del ${device} clsact`);
    this.clsact.delete(device);
    this.dropFilter(device);
  }

  async attached(device: string): Promise<AttachedProgram | undefined> {
    this.device(device);
    return this.filters.get(device);
  }

  async attach(device: string, object: string): Promise<void> {
    this.device(device);
    if (!this.clsact.has(device)) throw new Error("Error: Parent Qdisc doesn't exists.");
    this.calls.push(`filter replace ${device} ${basename(object)}`);
    if (this.attachError) throw new Error(this.attachError);
    this.dropFilter(device);
    const programId = this.nextId++;
    const ids = [MAPS.config, MAPS.v6ToV4, MAPS.v4ToV6, MAPS.counters, "fp_lease"].map((name) => {
      const id = this.nextId++;
      this.kernelMaps.set(id, { name, perCpu: name === MAPS.counters, entries: new Map() });
      return id;
    });
    this.programMaps.set(programId, ids);
    this.filters.set(device, { programId, objectName: `${basename(object)}:[tc]` });
  }

  async detach(device: string): Promise<void> {
    this.device(device);
    if (!this.filters.has(device))
      throw new Error("Error: Filter with specified priority/protocol not found.");
    this.calls.push(`filter del ${device}`);
    this.dropFilter(device);
  }

  /** The kernel frees a program's maps with the last reference, which the filter held. */
  private dropFilter(device: string): void {
    const program = this.filters.get(device);
    if (!program) return;
    for (const id of this.programMaps.get(program.programId) ?? []) this.kernelMaps.delete(id);
    this.programMaps.delete(program.programId);
    this.filters.delete(device);
  }

  /** The tun deleted under us: its qdisc, filter and maps go with it. */
  removeDevice(device: string): void {
    this.dropFilter(device);
    this.clsact.delete(device);
    this.devices.delete(device);
  }

  async maps(programId: number): Promise<Readonly<Record<string, number>>> {
    const ids = this.programMaps.get(programId);
    if (!ids) throw new Error(`Error: get by id (${programId}): No such file or directory`);
    return Object.fromEntries(ids.map((id) => [this.kernelMaps.get(id)?.name ?? "", id]));
  }

  private map(id: number): FakeMap {
    const map = this.kernelMaps.get(id);
    if (!map) throw new Error(`Error: get map by id (${id}): No such file or directory`);
    return map;
  }

  async dump(mapId: number): Promise<MapEntry[]> {
    const map = this.map(mapId);
    if (map.perCpu) {
      // An array map has every index, zero until written.
      return COUNTER_NAMES.map((_, index) => {
        const key = Buffer.alloc(4);
        key.writeUInt32LE(index);
        return {
          key,
          values:
            map.entries.get(key.toString("hex")) ?? [...Array(CPUS)].map(() => Buffer.alloc(8)),
        };
      });
    }
    return [...map.entries].map(([key, values]) => ({ key: Buffer.from(key, "hex"), values }));
  }

  async write(writes: readonly MapWrite[]): Promise<void> {
    if (writes.length === 0) return;
    this.calls.push(`batch ${writes.length}`);
    // bpftool batch stops at the first failing command; the ones before it stay done.
    for (const { mapId, key, value } of writes) {
      const map = this.map(mapId);
      const hex = key.toString("hex");
      if (value) map.entries.set(hex, map.perCpu ? [...Array(CPUS)].map(() => value) : [value]);
      else if (!map.entries.delete(hex))
        throw new Error("Error: delete failed: No such file or directory");
    }
  }

  /** Test helper: what the kernel-side counters would hold after traffic. */
  count(
    programId: number,
    counter: (typeof COUNTER_NAMES)[number],
    perCpu: readonly bigint[],
  ): void {
    const id = (this.programMaps.get(programId) ?? []).find(
      (mapId) => this.kernelMaps.get(mapId)?.name === MAPS.counters,
    );
    if (id === undefined) throw new Error("no counters map");
    const key = Buffer.alloc(4);
    key.writeUInt32LE(COUNTER_NAMES.indexOf(counter));
    this.map(id).entries.set(
      key.toString("hex"),
      perCpu.map((value) => {
        const bytes = Buffer.alloc(8);
        bytes.writeBigUInt64LE(value);
        return bytes;
      }),
    );
  }
}
