// The tools the fast path drives: clang (compile), iproute2 `tc` (attach to the tun's clsact
// egress) and `bpftool -j` (maps). One small interface; the real one runs the binaries, the
// fake in test/fakes keeps the same state in memory. No libbpf runtime is needed.
import type { Exec } from "../../../host/exec.ts";

/** Our filter on clsact egress: one fixed preference and handle, so it is found and replaced. */
export const FILTER_PREF = "6464";
export const FILTER_HANDLE = "1";

export interface AttachedProgram {
  readonly programId: number;
  /** What tc shows as the filter's name: `<object file name>:[<section>]`. */
  readonly objectName: string;
}

export interface MapEntry {
  readonly key: Buffer;
  /** One value per CPU for per-CPU maps, one value otherwise. */
  readonly values: readonly Buffer[];
}

export interface MapWrite {
  readonly mapId: number;
  readonly key: Buffer;
  /** undefined: delete the key. */
  readonly value?: Buffer;
}

export interface BpfTools {
  /** Compiles one C file into a BPF object (clang -O2 -g -target bpf). */
  compile(source: string, object: string): Promise<void>;
  /** Which of the toolchain's parts are missing on this host, one word each (empty: none). */
  missingToolchain(): Promise<string[]>;
  hasClsact(device: string): Promise<boolean>;
  addClsact(device: string): Promise<void>;
  deleteClsact(device: string): Promise<void>;
  /** Our filter (FILTER_PREF/FILTER_HANDLE) on the device's egress, if attached. */
  attached(device: string): Promise<AttachedProgram | undefined>;
  /** Loads the object's `tc` section as our egress filter, replacing one already there. */
  attach(device: string, object: string): Promise<void>;
  detach(device: string): Promise<void>;
  /** The program's maps by name. */
  maps(programId: number): Promise<Readonly<Record<string, number>>>;
  dump(mapId: number): Promise<MapEntry[]>;
  /** All writes in one `bpftool batch`: an update per value, a delete per missing value. */
  write(writes: readonly MapWrite[]): Promise<void>;
}

const hex = (bytes: Buffer) =>
  [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
const fromHex = (bytes: readonly string[]) => Buffer.from(bytes.map((byte) => Number(byte)));

/** `tc filter <verb> dev <device> egress pref … handle …`: our one filter. */
const ourFilter = (verb: string, device: string) => [
  "filter",
  verb,
  "dev",
  device,
  "egress",
  "pref",
  FILTER_PREF,
  "handle",
  FILTER_HANDLE,
  "bpf",
];

interface TcFilter {
  readonly pref?: number;
  readonly options?: { handle?: string; bpf_name?: string; prog?: { id?: number } };
}

export class RealBpfTools implements BpfTools {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  async compile(source: string, object: string): Promise<void> {
    const machine = (await this.exec("uname", ["-m"])).stdout.trim();
    await this.exec(
      "clang",
      [
        "-O2",
        "-g",
        "-target",
        "bpf",
        // linux/types.h includes asm/types.h, which Debian keeps under the multiarch directory.
        `-I/usr/include/${machine}-linux-gnu`,
        "-Wall",
        "-c",
        source,
        "-o",
        object,
      ],
      { timeoutMs: 60_000 },
    );
  }

  async missingToolchain(): Promise<string[]> {
    const checks: [string, string][] = [
      ["clang", "command -v clang"],
      ["tc", "command -v tc"],
      ["bpftool", "command -v bpftool"],
      ["libbpf-dev", "test -f /usr/include/bpf/bpf_helpers.h"],
    ];
    const missing: string[] = [];
    for (const [name, check] of checks) {
      await this.exec("sh", ["-c", check]).catch(() => missing.push(name));
    }
    return missing;
  }

  async hasClsact(device: string): Promise<boolean> {
    const { stdout } = await this.exec("tc", ["-j", "qdisc", "show", "dev", device]);
    const qdiscs = JSON.parse(stdout || "[]") as { kind?: string }[];
    return qdiscs.some((qdisc) => qdisc.kind === "clsact");
  }

  async addClsact(device: string): Promise<void> {
    await this.exec("tc", ["qdisc", "add", "dev", device, "clsact"]);
  }

  async deleteClsact(device: string): Promise<void> {
    await this.exec("tc", ["qdisc", "del", "dev", device, "clsact"]);
  }

  async attached(device: string): Promise<AttachedProgram | undefined> {
    const { stdout } = await this.exec("tc", ["-j", "filter", "show", "dev", device, "egress"]);
    const filters = JSON.parse(stdout || "[]") as TcFilter[];
    const ours = filters.find(
      (filter) =>
        String(filter.pref) === FILTER_PREF &&
        filter.options?.handle === `0x${FILTER_HANDLE}` &&
        filter.options.prog?.id !== undefined,
    );
    const id = ours?.options?.prog?.id;
    if (id === undefined) return undefined;
    return { programId: id, objectName: ours?.options?.bpf_name ?? "" };
  }

  async attach(device: string, object: string): Promise<void> {
    await this.exec(
      "tc",
      [...ourFilter("replace", device), "direct-action", "obj", object, "sec", "tc"],
      {
        timeoutMs: 30_000,
      },
    );
  }

  async detach(device: string): Promise<void> {
    await this.exec("tc", ourFilter("del", device));
  }

  async maps(programId: number): Promise<Readonly<Record<string, number>>> {
    const program = JSON.parse(
      (await this.exec("bpftool", ["prog", "show", "id", String(programId), "-j"])).stdout,
    ) as { map_ids?: number[] };
    const byName: Record<string, number> = {};
    for (const id of program.map_ids ?? []) {
      const map = JSON.parse(
        (await this.exec("bpftool", ["map", "show", "id", String(id), "-j"])).stdout,
      ) as { name?: string };
      if (map.name) byName[map.name] = id;
    }
    return byName;
  }

  async dump(mapId: number): Promise<MapEntry[]> {
    const { stdout } = await this.exec("bpftool", ["map", "dump", "id", String(mapId), "-j"]);
    const entries = JSON.parse(stdout || "[]") as {
      key: string[];
      value?: string[];
      values?: { value: string[] }[];
    }[];
    return entries.map((entry) => ({
      key: fromHex(entry.key),
      values: entry.values
        ? entry.values.map((perCpu) => fromHex(perCpu.value))
        : [fromHex(entry.value ?? [])],
    }));
  }

  async write(writes: readonly MapWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const lines = writes.map(({ mapId, key, value }) =>
      value
        ? `map update id ${mapId} key hex ${hex(key)} value hex ${hex(value)}`
        : `map delete id ${mapId} key hex ${hex(key)}`,
    );
    await this.exec("bpftool", ["batch", "file", "-"], { input: `${lines.join("\n")}\n` });
  }
}
