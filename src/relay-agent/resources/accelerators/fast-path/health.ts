// What `agent doctor` says about the fast path: which path is active and the packet split
// between the fast path and tayga (the program's counters, since it was loaded), or why it is
// not active. A warning at worst: tayga alone still translates everything.
import { APPLY_FIX, type HealthCheck } from "../../health-check.ts";
import { type FastPathCounters, pathSplit } from "./counters.ts";
import { TAYGA_ONLY } from "./fast-path-state.ts";

export const FAST_PATH_CHECK_ID = "fast-path";
const TITLE = "fast path (tc-BPF on tayga's tun)";

export const INSTALL_FIX = "install clang llvm libbpf-dev bpftool and reload or restart the agent";
export const KERNEL_FIX =
  "needs CAP_BPF and CAP_NET_ADMIN, no kernel lockdown, Linux ≥ 5.14; then reload or restart the agent (every apply tries again)";

export const UNSUPPORTED_FIX = "use a /96 `prefix` for the fast path (tayga handles the others)";

export const fastPathCheck = (healthy: string, fix: string = APPLY_FIX): HealthCheck => ({
  id: FAST_PATH_CHECK_ID,
  title: TITLE,
  fix,
  healthy,
  severity: "warn",
});

/** The check when the config turns it off on a tayga relay. */
export const OFF_CHECK = fastPathCheck(`off (fastPath: off): ${TAYGA_ONLY}`);

export const notActive = (why: string) => `not active (${why}); ${TAYGA_ONLY}`;

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

/** `active on nat64relay: 1 client mapped; fast path 1500 packets (20.0 MB), tayga 9 packets (…)` */
export function activeDetail(
  device: string,
  clients: number,
  counters: FastPathCounters | undefined,
): string {
  const mapped = `active on ${device}: ${clients} client${clients === 1 ? "" : "s"} mapped`;
  if (!counters) return mapped;
  const split = pathSplit(counters);
  const reasons = split.taygaReasons
    .slice(0, 3)
    .map((entry) => `${entry.reason} ${entry.packets}`)
    .join(", ");
  const dropped = split.dropped ? `; ${split.dropped} dropped after a failed rewrite` : "";
  return `${mapped}; fast path ${split.fastPackets} packets (${bytes(split.fastBytes)}), tayga ${split.taygaPackets} packets${reasons ? ` (${reasons})` : ""}${dropped}`;
}
