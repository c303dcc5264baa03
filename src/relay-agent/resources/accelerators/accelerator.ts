// An accelerator speeds up a translator without replacing it (a tc-BPF fast path beside tayga's
// tun, for example). To the agent it is one more host resource: it adds its slice to the
// desired state and observes, plans and undoes its own programs like every other resource.
import type { ResolvedRelayConfig } from "../../../core/config/resolved-relay-config.ts";
import type { DataPlaneHost } from "../data-plane-host.ts";
import type { DesiredDataPlane } from "../desired-state.ts";
import type { HostResource } from "../resource.ts";

/**
 * What an accelerator keeps doing between applies while `agent run` runs (the fast path copies
 * tayga's new client assignments into its maps). `agent apply` and the doctor never start one.
 */
export interface AcceleratorRuntime {
  /**
   * After every apply: its desired slice (undefined: off) and its slot of the record, which
   * says what is attached now.
   */
  follow(desired: unknown, record: unknown): void;
  /** Its lines for the Prometheus exposition; empty when it has none. */
  metrics(): Promise<string>;
  close(): void;
}

export interface AcceleratorRuntimeOptions {
  readonly host: DataPlaneHost;
  readonly log?: (message: string) => void;
  /** Runs a task in the data plane's turn, so it never overlaps an apply. */
  readonly exclusive: (task: () => Promise<void>) => Promise<void>;
}

export interface Accelerator<Desired = unknown, Observed = unknown> {
  /** Its key in `DesiredDataPlane.accelerators` and `DataPlaneRecord.accelerators`. */
  readonly name: string;
  /**
   * Its desired slice, a pure function of the config and the translator's data plane (it sees
   * the engine, the tun, the prefix); undefined when it is off or does not fit that translator.
   */
  desired(config: ResolvedRelayConfig, dataPlane: DesiredDataPlane): Desired | undefined;
  /** Reads `desired.accelerators?.[name]`; absent means remove whatever it attached. */
  readonly resource: HostResource<Observed>;
  /** Its work between applies, if it has any. */
  start?(options: AcceleratorRuntimeOptions): AcceleratorRuntime;
}
