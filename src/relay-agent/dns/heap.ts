// V8 heap limits for the DNS workers. Under load the server makes garbage fast (one buffer per
// packet); left alone V8 grows the heap far past the live data (measured: ~200 MB of heap for
// ~45 MB live with 100,000 cached names). A small young generation and an old-generation cap
// sized from `cacheBytes` (what the cache may hold, in the heap bytes it is estimated in) keep
// RSS near what is really held. The limits are set where a worker is created (a thread's
// resourceLimits, a process's flags), so a new cacheBytes gets new workers, not a restart.
// See docs/design.md, "DNS workers and memory".

export interface HeapLimits {
  /** Cap on the old generation: the cache, the handler's state, and room to collect. */
  readonly oldSpaceMb: number;
  /** Each of the young generation's two semi-spaces. */
  readonly semiSpaceMb: number;
}

const MIB = 1024 * 1024;
/** Everything but the cache: code, sockets, TCP buffers, in-flight queries (measured < 40 MB). */
const BASE_OLD_SPACE_MB = 64;
/** The cache itself plus as much again, so V8 can promote and compact without running out. */
const OLD_SPACE_PER_CACHE_BYTE = 2;
const SEMI_SPACE_MB = 2;

export function heapLimits(cacheBytes: number): HeapLimits {
  return {
    oldSpaceMb: Math.ceil(BASE_OLD_SPACE_MB + (cacheBytes * OLD_SPACE_PER_CACHE_BYTE) / MIB),
    semiSpaceMb: SEMI_SPACE_MB,
  };
}

export const sameLimits = (a: HeapLimits, b: HeapLimits) =>
  a.oldSpaceMb === b.oldSpaceMb && a.semiSpaceMb === b.semiSpaceMb;

/** As node flags, for a worker process. */
export function heapFlags(limits: HeapLimits): string[] {
  return [
    `--max-semi-space-size=${limits.semiSpaceMb}`,
    `--max-old-space-size=${limits.oldSpaceMb}`,
  ];
}

/** As a worker thread's resourceLimits (the young generation holds two semi-spaces and one more). */
export function threadResourceLimits(limits: HeapLimits): {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
} {
  return {
    maxOldGenerationSizeMb: limits.oldSpaceMb,
    maxYoungGenerationSizeMb: limits.semiSpaceMb * 3,
  };
}

/** Flags of the launching process without heap limits (a worker gets its own). */
export const withoutHeapFlags = (execArgv: readonly string[]) =>
  execArgv.filter((flag) => !/^--max-(old|semi)-space-size/.test(flag));
