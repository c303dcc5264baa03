// The fast path as a host resource: observes what is attached to tayga's tun (program, clsact,
// maps, counters), plans toward its slice of the desired state with typed effects, and, when
// the slice is gone, plans the undo of what its slot of the data-plane record says it added.
// The planning itself is fast-path-state.ts; this file speaks the agent's resource language.
import type { DataPlaneHost } from "../../data-plane-host.ts";
import type { DesiredDataPlane } from "../../desired-state.ts";
import { type Drift, leftover } from "../../health-check.ts";
import { acceleratorRecord, type DataPlaneRecord, withAcceleratorRecord } from "../../record.ts";
import { type Change, type ChangeEffect, type HostResource, planned } from "../../resource.ts";
import { type BpfTools, RealBpfTools } from "./bpf-tools.ts";
import { type FastPathCounters, readCounters } from "./counters.ts";
import { FAST_PATH } from "./desired.ts";
import {
  type FastPathChange,
  type FastPathDesired,
  type FastPathObserved,
  type FastPathRecord,
  observeFastPath,
  planFastPath,
  TAYGA_ONLY,
} from "./fast-path-state.ts";
import {
  activeDetail,
  fastPathCheck,
  INSTALL_FIX,
  KERNEL_FIX,
  notActive,
  OFF_CHECK,
  UNSUPPORTED_FIX,
} from "./health.ts";

export const RESOURCE_NAME = "fast-path";

export interface ObservedFastPath extends FastPathObserved {
  /** The program's counters, when our program is attached (the doctor shows the split). */
  readonly counters?: FastPathCounters;
}

export const bpfToolsOf = (host: DataPlaneHost): BpfTools =>
  host.bpf ?? new RealBpfTools(host.exec);

export const fastPathSlice = (desired: DesiredDataPlane) =>
  desired.accelerators?.[FAST_PATH] as FastPathDesired | undefined;

export const fastPathRecord = (record: DataPlaneRecord) =>
  acceleratorRecord<FastPathRecord>(record, FAST_PATH);

const EFFECTS: Readonly<Record<FastPathChange["kind"], readonly ChangeEffect[]>> = {
  attach: ["accelerator-attached"],
  "sync-maps": [],
  undo: ["accelerator-detached"],
};

/** The kernel refused the program: the apply goes on with tayga alone and says so once. */
function declinedReason(after: DataPlaneRecord): string | undefined {
  const failed = fastPathRecord(after)?.loadFailed;
  return failed ? `fast path not loaded: ${failed.reason}; ${TAYGA_ONLY}` : undefined;
}

function driftOf(
  change: FastPathChange,
  observed: ObservedFastPath,
  slot: FastPathRecord | undefined,
  check: ReturnType<typeof fastPathCheck>,
): Drift {
  if (change.kind === "undo")
    return leftover(`fast path on ${slot?.device ?? "the tun"} left attached`);
  if (change.kind === "sync-maps") return { check, detail: change.summary };
  const why = slot?.loadFailed
    ? `the kernel refused it: ${slot.loadFailed.reason}`
    : observed.attached
      ? `another program is attached (${observed.attached.objectName})`
      : "not attached";
  return { check, detail: notActive(why) };
}

/** What differs that no change fixes: why it cannot run here at all. */
function findingOf(observed: ObservedFastPath, plansChange: boolean) {
  if (observed.unreadable) return notActive(observed.unreadable);
  if (observed.unsupported) return `not active: ${observed.unsupported}; ${TAYGA_ONLY}`;
  if (!plansChange && observed.missingToolchain.length) {
    return notActive(`${observed.missingToolchain.join(", ")} not installed`);
  }
  return undefined;
}

export const fastPathResource: HostResource<ObservedFastPath> = {
  name: RESOURCE_NAME,
  async observe({ desired, record, host }) {
    const slice = fastPathSlice(desired);
    const tools = bpfToolsOf(host);
    const observed = await observeFastPath(slice, fastPathRecord(record), tools);
    const ours =
      slice && observed.maps && observed.attached?.objectName === observed.program?.filterName;
    if (!ours || !observed.maps) return observed;
    const counters = await readCounters(tools, observed.maps.ids.counters).catch(() => undefined);
    return counters ? { ...observed, counters } : observed;
  },
  plan(desired, observed, record, host) {
    const slice = fastPathSlice(desired);
    const slot = fastPathRecord(record);
    const fast = planFastPath(slice, observed, slot, bpfToolsOf(host));
    const fix = slot?.loadFailed
      ? KERNEL_FIX
      : observed.unsupported
        ? UNSUPPORTED_FIX
        : slice && observed.missingToolchain.length
          ? INSTALL_FIX
          : undefined;
    const clients = observed.maps?.state.v6ToV4.size ?? 0;
    const check = slice
      ? fastPathCheck(activeDetail(slice.device, clients, observed.counters), fix)
      : OFF_CHECK;
    const changes = fast.changes.map(
      (change): Change => ({
        resource: RESOURCE_NAME,
        area: "bpf",
        summary: change.summary,
        effects: EFFECTS[change.kind],
        drift: driftOf(change, observed, slot, check),
        undo: change.undo,
        run: async (current) =>
          withAcceleratorRecord(current, FAST_PATH, await change.run(fastPathRecord(current))),
        ...(change.kind === "attach" ? { declined: declinedReason } : {}),
      }),
    );
    const finding = slice ? findingOf(observed, changes.length > 0) : undefined;
    // The check belongs to tayga relays: Jool is in the kernel already, engine none has no path.
    const checks = slice || desired.tayga ? [check] : [];
    return planned(checks, changes, fast.warnings, finding ? [{ check, detail: finding }] : []);
  },
};
