// A translator is the part of the data plane that turns IPv6 to the prefix into IPv4: tayga on
// a tun, or the jool kernel module. `none` is the absence of one (the agent is then DNS only).
import type { Nat64Engine } from "../../../core/config/engine.ts";
import type { ResolvedRelayConfig } from "../../../core/config/resolved-relay-config.ts";
import type { HostPaths } from "../../host/paths.ts";
import type { DesiredDataPlane } from "../desired-state.ts";

/** The slice of the desired data plane that belongs to the translator. */
export type TranslatorPart = Pick<DesiredDataPlane, "tun" | "routes" | "tayga" | "jool">;

export interface Translator {
  readonly engine: Nat64Engine;
  /** undefined: no translator, so no data plane at all (engine none). Pure. */
  desired(config: ResolvedRelayConfig, paths: HostPaths): TranslatorPart | undefined;
}
