// V8 heap limits for the agent. Under load the server makes garbage fast (one buffer per
// packet); left alone V8 grows the heap far past the live data (measured: ~200 MB of heap for
// ~45 MB live with 100,000 cached names). A small young generation and an old-generation cap
// scaled by cacheSize keep RSS near what is really held.

/** Bytes of old space allowed per cache entry (measured ~110–150 B live), with headroom. */
const BYTES_PER_ENTRY = 300;
const BASE_OLD_SPACE_MB = 64;

export function heapFlags(cacheSize: number): string[] {
  const oldSpaceMb = Math.ceil(BASE_OLD_SPACE_MB + (cacheSize * BYTES_PER_ENTRY) / (1024 * 1024));
  return ["--max-semi-space-size=2", `--max-old-space-size=${oldSpaceMb}`];
}

/** True when the process already runs with an old-space cap (set by us or by the operator). */
export function hasHeapFlags(execArgv: readonly string[], nodeOptions = ""): boolean {
  return [...execArgv, nodeOptions].some((flag) => flag.includes("--max-old-space-size"));
}
