// A translator is the part of the data plane that turns IPv6 to the prefix into IPv4: tayga on
// a tun, or the jool kernel module. Everything the rest of the agent needs to know about one is
// a property here, so no other file branches on the engine's name. Engine `none` is the absence
// of a translator (the agent is then DNS only): `translatorFor("none")` is undefined.
import type { Nat64Translator } from "../../../core/config/engine.ts";
import type { ResolvedRelayConfig } from "../../../core/config/resolved-relay-config.ts";
import type { HostPaths } from "../../host/paths.ts";
import type { GuardSide } from "../../nat64/guard.ts";
import type { NftTableInput, TranslatorRuleset } from "../../nat64/nft-ruleset.ts";
import type { DataPlaneHost } from "../data-plane-host.ts";
import type { DesiredDataPlane } from "../desired-state.ts";

/** The slice of the desired data plane that belongs to the translator. */
export type TranslatorPart = Pick<DesiredDataPlane, "tun" | "routes" | "tayga" | "jool">;

/** A translator that needs something of the host first, and the one to use without it. */
export interface TranslatorRequirement {
  /** True when the host can run this translator (its kernel module loads, say). */
  probe(host: DataPlaneHost): Promise<boolean>;
  /** What failed, for the warning: "`modprobe jool` failed". */
  readonly failure: string;
  /** The translator the agent runs instead, said once per apply as a warning. */
  readonly fallback: Nat64Translator;
}

export interface Translator {
  readonly engine: Nat64Translator;
  /** Its part of the desired data plane (tun, routes, process config, kernel commands). Pure. */
  desired(config: ResolvedRelayConfig, paths: HostPaths): TranslatorPart;
  /**
   * Which addresses the open-proxy guard's allow set holds: the IPv4 after translation ("v4",
   * tayga), or the synthesized IPv6 before it ("v6", Jool, which translates in prerouting).
   */
  readonly guardSide: GuardSide;
  /** Its sets and chains in the agent's nft table (nat64/nft-ruleset.ts renders the rest). */
  ruleset(input: NftTableInput): TranslatorRuleset;
  /**
   * Absent: translated IPv4 leaves through the table's masquerade rule (counter `masqueraded`).
   * Present: the translator does its own NAPT from the node's addresses on these ports (Jool),
   * so a missing masquerade count says nothing and the doctor looks at the way back instead.
   */
  readonly ownNapt?: { readonly name: string; readonly ports: string };
  /** Absent: it runs wherever the agent does. */
  readonly requires?: TranslatorRequirement;
}
