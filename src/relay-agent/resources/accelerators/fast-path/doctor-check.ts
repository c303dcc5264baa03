// The doctor's fast-path line: which path is active and the packet split between the fast path
// and tayga (the program's counters, since it was loaded), or why it is not active.
import type { CheckResult } from "../../../doctor/check.ts";
import { pass, skip, warn } from "../../../doctor/check.ts";
import type { BpfTools } from "./bpf-tools.ts";
import { pathSplit, readCounters } from "./counters.ts";
import type { FastPathDesired, FastPathRecord } from "./fast-path-state.ts";
import { findOurProgram, unsupportedReason } from "./fast-path-state.ts";
import { readMappedState } from "./map-sync.ts";

const ID = "fast-path";
const TITLE = "fast path (tc-BPF on tayga's tun)";

function bytes(value: bigint): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let amount = Number(value);
  let unit = 0;
  while (amount >= 1000 && unit < units.length - 1) {
    amount /= 1000;
    unit++;
  }
  return `${amount.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export async function fastPathCheck(input: {
  readonly desired: FastPathDesired | undefined;
  /** Why it is not wanted (fastPath: off, engine), when it is not. */
  readonly offBecause: string;
  readonly record: FastPathRecord | undefined;
  readonly tools: BpfTools;
}): Promise<CheckResult> {
  const { desired, record, tools } = input;
  if (!desired) return skip(ID, TITLE, `off (${input.offBecause}): tayga translates everything`);
  const unsupported = unsupportedReason(desired);
  if (unsupported)
    return warn(ID, TITLE, `not active: ${unsupported}; tayga translates everything`);
  const ours = await findOurProgram(tools, desired).catch(() => undefined);
  if (!ours) {
    const attached = await tools.attached(desired.device).catch(() => undefined);
    const why = record?.loadFailed
      ? `the kernel refused it: ${record.loadFailed.reason}`
      : attached
        ? `another program is attached (${attached.objectName})`
        : "not attached";
    return warn(
      ID,
      TITLE,
      `not active (${why}); tayga translates everything`,
      record?.loadFailed
        ? "needs CAP_BPF and CAP_NET_ADMIN, no kernel lockdown, Linux ≥ 5.14; then reload or restart the agent (every apply tries again)"
        : "install clang llvm libbpf-dev bpftool and restart the agent (or reload it)",
    );
  }
  const split = pathSplit(await readCounters(tools, ours.ids.counters));
  const clients = (await readMappedState(tools, ours.ids)).v6ToV4.size;
  const reasons = split.taygaReasons
    .slice(0, 3)
    .map((entry) => `${entry.reason} ${entry.packets}`)
    .join(", ");
  const dropped = split.dropped ? `; ${split.dropped} dropped after a failed rewrite` : "";
  return pass(
    ID,
    TITLE,
    `active on ${desired.device}: ${clients} client${clients === 1 ? "" : "s"} mapped; fast path ${split.fastPackets} packets (${bytes(split.fastBytes)}), tayga ${split.taygaPackets} packets${reasons ? ` (${reasons})` : ""}${dropped}`,
  );
}
