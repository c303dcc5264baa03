// The fast path's BPF program as the agent knows it: where its C source is, what its compiled
// object is called (the source's digest is in the name, so a changed program is noticed and
// replaced), its map names and its counters, in the order of `enum counter` in the C file.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PROGRAM_SOURCE = fileURLToPath(
  new URL("../../../../../bpf/nat64_fast_path.c", import.meta.url),
);

export const MAPS = {
  config: "fp_config",
  v6ToV4: "fp_v6_to_v4",
  v4ToV6: "fp_v4_to_v6",
  counters: "fp_counters",
} as const;

/** `enum counter` in bpf/nat64_fast_path.c, same order (a unit test compares them). */
export const COUNTER_NAMES = [
  "FAST_V6_TO_V4_PACKETS",
  "FAST_V6_TO_V4_BYTES",
  "FAST_V4_TO_V6_PACKETS",
  "FAST_V4_TO_V6_BYTES",
  "TAYGA_NOT_CONFIGURED",
  "TAYGA_NOT_IP",
  "TAYGA_SHORT_OR_BAD_LENGTH",
  "TAYGA_HOP_LIMIT",
  "TAYGA_V6_NOT_TCP_UDP",
  "TAYGA_V6_DST_NOT_PREFIX",
  "TAYGA_V6_DST_IN_POOL",
  "TAYGA_V6_UNKNOWN_CLIENT",
  "TAYGA_V4_OPTIONS",
  "TAYGA_V4_FRAGMENT",
  "TAYGA_V4_NOT_TCP_UDP",
  "TAYGA_V4_SRC_IN_POOL",
  "TAYGA_V4_UNKNOWN_POOL_ADDR",
  "TAYGA_V4_UDP_NO_CHECKSUM",
  "TAYGA_V4_NO_DF_TOO_BIG",
  "TAYGA_LEASE_REFRESH",
  "TAYGA_CHANGE_PROTO_FAILED",
  "DROPPED_AFTER_REWRITE",
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

export interface ProgramObject {
  readonly source: string;
  /** The compiled object: <dir>/nat64_fast_path-<digest>.o */
  readonly path: string;
  /** What tc names the attached filter: the object's file name and its section. */
  readonly filterName: string;
}

export function programObject(source: string, sourceText: string, dir: string): ProgramObject {
  const digest = createHash("sha256").update(sourceText).digest("hex").slice(0, 12);
  const file = `nat64_fast_path-${digest}.o`;
  return { source, path: join(dir, file), filterName: `${file}:[tc]` };
}

export async function readProgramObject(dir: string, source = PROGRAM_SOURCE) {
  return programObject(source, await readFile(source, "utf8"), dir);
}
