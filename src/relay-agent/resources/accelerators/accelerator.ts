// An accelerator speeds up a translator without replacing it (a tc-BPF fast path beside tayga's
// tun, for example). To the agent it is one more host resource: it adds its slice to the
// desired state and observes, plans and undoes its own programs like every other resource.
import type { ResolvedRelayConfig } from "../../../core/config/resolved-relay-config.ts";
import type { DesiredDataPlane } from "../desired-state.ts";
import type { HostResource } from "../resource.ts";

export interface Accelerator<Desired = unknown, Observed = unknown> {
  /** Its key in `DesiredDataPlane.accelerators`. */
  readonly name: string;
  /**
   * Its desired slice, a pure function of the config and the translator's data plane (it sees
   * the engine, the tun, the prefix); undefined when it is off or does not fit that translator.
   */
  desired(config: ResolvedRelayConfig, dataPlane: DesiredDataPlane): Desired | undefined;
  /** Reads `desired.accelerators?.[name]`; absent means remove whatever it attached. */
  readonly resource: HostResource<Observed>;
}
