// A host resource: one kind of thing the agent changes on the host (sysctls, files, the tun,
// routes, the nft table, the jool instance, advertised routes, each accelerator). Each one
// observes what the host has, plans the changes toward a desired data plane, and undoes what
// its record says it added once the desired state no longer has it. So teardown is "plan toward
// the empty state", health is "the plan is empty", and the doctor reads the same plans.
import type { DataPlaneHost } from "./data-plane-host.ts";
import type { DesiredDataPlane } from "./desired-state.ts";
import type { Drift, HealthCheck } from "./health-check.ts";
import type { DataPlaneRecord } from "./record.ts";

/** Where a change happens, as `agent apply` prints it: `[tun] create tun nat64relay`. */
export type ChangeArea =
  | "sysctl"
  | "file"
  | "tun"
  | "route"
  | "nft"
  | "tayga"
  | "jool"
  | "tailscale"
  | "bpf"
  | "systemd";

/**
 * What a change means for the rest of the agent, so callers switch on a type and never parse
 * the display text.
 */
export type ChangeEffect =
  /** The translator's own config changed: a running translator must be restarted. */
  | "restart-translator"
  /** The tun was created or brought up again: the translator must attach to it anew. */
  | "tun-recreated"
  /** Our nft table was created empty: the guard's allow set must be refilled. */
  | "table-created"
  /** Our nft table was replaced with its live set elements kept: the guard re-reads them. */
  | "table-replaced"
  /** Our nft table was deleted. */
  | "table-deleted"
  /** An accelerator's program was attached (or replaced): it starts with empty state. */
  | "accelerator-attached"
  /** An accelerator's program was taken off: the translator alone carries the traffic. */
  | "accelerator-detached";

/**
 * The types one family of host resources shares: what it plans toward, the record of what it
 * added, the host it changes and its changes' effects. The data plane's are the defaults; the
 * systemd unit and the files `agent install` writes are a family of their own (resources/unit/).
 */
export interface ResourceFamily {
  readonly desired: unknown;
  readonly record: unknown;
  readonly host: unknown;
  readonly effect: string;
}

export interface DataPlaneFamily {
  readonly desired: DesiredDataPlane;
  readonly record: DataPlaneRecord;
  readonly host: DataPlaneHost;
  readonly effect: ChangeEffect;
}

export interface Change<F extends ResourceFamily = DataPlaneFamily> {
  /** The resource that planned it (`tun`, `nft-table`, ...). */
  readonly resource: string;
  readonly area: ChangeArea;
  /** For people only: never decide anything on it. */
  readonly summary: string;
  readonly effects: readonly F["effect"][];
  /** What differs on the host that this change would fix, as `agent doctor` reports it. */
  readonly drift: Drift;
  /** True when it undoes something we added: undos run first, in reverse resource order. */
  readonly undo: boolean;
  /** Makes the change and returns the record with what it added (or removed) noted. */
  readonly run: (record: F["record"]) => Promise<F["record"]>;
  /**
   * Only for a change the relay works without (an accelerator's): after it ran, why it did not
   * take effect, read off the record it returned; undefined when it did. The apply goes on, says
   * the reason as a warning and does not count the change as done.
   */
  readonly declined?: (after: F["record"]) => string | undefined;
}

export interface ResourcePlan<F extends ResourceFamily = DataPlaneFamily> {
  readonly changes: readonly Change<F>[];
  /**
   * The doctor checks this resource answers for in this desired state: each passes when no
   * change names it (a change may also name one to report a leftover).
   */
  readonly checks: readonly HealthCheck[];
  /** Things skipped on purpose (no tailscale CLI, advertise: false), one line each. */
  readonly warnings: readonly string[];
  /**
   * What differs from the desired state that no change here can fix (a missing toolchain):
   * the doctor reports them like a change's drift.
   */
  readonly findings?: readonly Drift[];
}

export interface ObserveContext<F extends ResourceFamily = DataPlaneFamily> {
  readonly desired: F["desired"];
  readonly record: F["record"];
  readonly host: F["host"];
}

/**
 * `observe` reads the host (the only I/O before apply); `plan` decides from the desired state,
 * what was observed, and the record of what we added, touching nothing: `host` is only
 * captured by the changes' `run`. Every change a plan makes toward a desired state has its undo
 * in the plan toward one without it.
 */
export interface HostResource<Observed = unknown, F extends ResourceFamily = DataPlaneFamily> {
  readonly name: string;
  observe(context: ObserveContext<F>): Promise<Observed>;
  plan(
    desired: F["desired"],
    observed: Observed,
    record: F["record"],
    host: F["host"],
  ): ResourcePlan<F>;
}

export const planned = <F extends ResourceFamily = DataPlaneFamily>(
  checks: readonly HealthCheck[],
  changes: readonly Change<F>[],
  warnings: readonly string[] = [],
  findings: readonly Drift[] = [],
): ResourcePlan<F> => ({ changes, checks, warnings, ...(findings.length ? { findings } : {}) });

export const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
