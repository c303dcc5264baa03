import { describe, expect, it } from "vitest";
import {
  heapFlags,
  heapLimits,
  threadResourceLimits,
  withoutHeapFlags,
} from "../../../src/relay-agent/dns/heap.ts";

const MIB = 1024 * 1024;

describe("heap limits follow cacheBytes", () => {
  it("64 MB for the rest plus twice the cache, for the smallest, default and largest cacheBytes", () => {
    expect(heapLimits(MIB)).toEqual({ oldSpaceMb: 66, semiSpaceMb: 2 });
    expect(heapLimits(64 * MIB)).toEqual({ oldSpaceMb: 192, semiSpaceMb: 2 });
    expect(heapLimits(16 * 1024 * MIB)).toEqual({ oldSpaceMb: 32_832, semiSpaceMb: 2 });
  });

  it("as a process's flags and a thread's resourceLimits", () => {
    const limits = heapLimits(4 * MIB);
    expect(heapFlags(limits)).toEqual(["--max-semi-space-size=2", "--max-old-space-size=72"]);
    expect(threadResourceLimits(limits)).toEqual({
      maxOldGenerationSizeMb: 72,
      maxYoungGenerationSizeMb: 6,
    });
  });

  it("a worker process gets its own limits, not the launcher's", () => {
    expect(
      withoutHeapFlags(["--max-old-space-size=4096", "--inspect", "--max-semi-space-size=16"]),
    ).toEqual(["--inspect"]);
  });
});
