import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { HostCommandError } from "../../../src/relay-agent/host/exec.ts";
import { parseDynamicMap } from "../../../src/relay-agent/resources/accelerators/fast-path/dynamic-map.ts";
import { firstLine } from "../../../src/relay-agent/resources/accelerators/fast-path/fast-path-state.ts";
import {
  configValue,
  formatIpv4Bytes,
  formatIpv6Bytes,
  ipv4Bytes,
  ipv6Bytes,
  sumCounter,
} from "../../../src/relay-agent/resources/accelerators/fast-path/map-codec.ts";
import {
  COUNTER_NAMES,
  PROGRAM_SOURCE,
  programObject,
} from "../../../src/relay-agent/resources/accelerators/fast-path/program.ts";

const POOL = "192.168.240.0/20";

// What tayga 0.9.2 writes: a comment block, then "<ipv4>\t<ipv6>\t<last use>" per client.
const TAYGA_FILE = [
  "###",
  "### TAYGA dynamic map database",
  "### Last written: Tue Dec  1 12:37:10 2026",
  "###",
  "",
  "192.168.253.33\tfd7a:115c:a1e0::2\t1796128630",
  "192.168.241.7\tfd7a:115c:a1e0:0:0:0:0:9\t1796128000",
  "",
].join("\n");

describe("tayga's dynamic.map", () => {
  it("reads every client pair, addresses in canonical form", () => {
    expect(parseDynamicMap(TAYGA_FILE, POOL)).toEqual([
      { ipv4: "192.168.253.33", ipv6: "fd7a:115c:a1e0::2" },
      { ipv4: "192.168.241.7", ipv6: "fd7a:115c:a1e0::9" },
    ]);
  });

  it("skips what tayga skips: outside the pool, malformed, repeated addresses", () => {
    const text = [
      "10.0.0.1\tfd7a:115c:a1e0::3\t1796128630",
      "192.168.240.9\tnot-an-address\t1796128630",
      "192.168.240.10\tfd7a:115c:a1e0::4",
      "192.168.240.11\tfd7a:115c:a1e0::5\t1796128630",
      "192.168.240.11\tfd7a:115c:a1e0::6\t1796128630",
      "192.168.240.12\tfd7a:115c:a1e0::5\t1796128630",
    ].join("\n");
    expect(parseDynamicMap(text, POOL)).toEqual([
      { ipv4: "192.168.240.11", ipv6: "fd7a:115c:a1e0::5" },
    ]);
  });

  it("an empty or missing file means no clients", () => {
    expect(parseDynamicMap("", POOL)).toEqual([]);
  });
});

describe("map bytes", () => {
  it("addresses round-trip in network order", () => {
    expect([...ipv4Bytes("192.168.253.33")]).toEqual([192, 168, 253, 33]);
    expect(ipv6Bytes("fd7a:115c:a1e0::2").toString("hex")).toBe("fd7a115ca1e000000000000000000002");
    expect(formatIpv4Bytes(ipv4Bytes("198.18.1.2"))).toBe("198.18.1.2");
    expect(formatIpv6Bytes(ipv6Bytes("fd4e:2a91:7c3d:6464::c612:102"))).toBe(
      "fd4e:2a91:7c3d:6464::c612:102",
    );
  });

  it("the config is struct fast_path_config: 12 prefix bytes, pool, mask, enabled", () => {
    const value = configValue("fd4e:2a91:7c3d:6464::/96", POOL);
    expect(value.toString("hex")).toBe(
      `fd4e2a917c3d646400000000c0a8f000fffff000${Buffer.from([1, 0, 0, 0]).toString("hex")}`,
    );
  });

  it("refuses a prefix the program cannot embed in", () => {
    expect(() => configValue("fd4e:2a91:7c3d::/64", POOL)).toThrow(/\/96 NAT64 prefix/);
  });

  it("sums per-CPU counters", () => {
    const perCpu = [5n, 7n].map((value) => {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(value);
      return bytes;
    });
    expect(sumCounter(perCpu)).toBe(12n);
  });
});

describe("the BPF program", () => {
  it("names its counters in the order of the C enum", async () => {
    const source = await readFile(PROGRAM_SOURCE, "utf8");
    const body = source.slice(source.indexOf("enum counter {"), source.indexOf("COUNTER_MAX"));
    const names = [...body.matchAll(/^\s+([A-Z0-9_]+),/gm)].map((match) => match[1]);
    expect(names).toEqual([...COUNTER_NAMES]);
  });

  it("puts the source's digest in the object name, so a changed program is replaced", () => {
    const a = programObject("/src/p.c", "int a;", "/var/lib/nat64-relay/bpf");
    const b = programObject("/src/p.c", "int b;", "/var/lib/nat64-relay/bpf");
    expect(a.path).toMatch(/^\/var\/lib\/nat64-relay\/bpf\/nat64_fast_path-[0-9a-f]{12}\.o$/);
    expect(a.filterName).toBe(`${a.path.split("/").pop()}:[tc]`);
    expect(a.path).not.toBe(b.path);
  });
});

describe("the one-line reason", () => {
  it("names the tool and its telling stderr line, not the long command line", () => {
    const error = new HostCommandError(
      "tc filter replace dev nat64relay egress pref 6464 handle 1 bpf direct-action obj /x.o sec tc",
      "libbpf: prog 'nat64_fast_path': BPF program load failed: Operation not permitted\nlibbpf: -- BEGIN PROG LOAD LOG --\n...\n",
    );
    expect(firstLine(error)).toBe(
      "tc: libbpf: prog 'nat64_fast_path': BPF program load failed: Operation not permitted",
    );
    expect(firstLine(new Error("plain\nsecond"))).toBe("plain");
  });
});
