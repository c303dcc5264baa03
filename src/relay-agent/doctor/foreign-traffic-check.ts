// What the translator refused (docs/security.md, "Forwarding path"): traffic toward the prefix
// from outside the overlay or outside `allowFrom`, the pool's IPv4 routed out a non-egress
// interface, forged pool traffic. Refusals are the rules working; the doctor says where from.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import type { NftCounter } from "../host/nftables.ts";
import { COUNTERS } from "../nat64/nft-ruleset.ts";
import { type CheckResult, fail, pass, warn } from "./check.ts";

const TITLE = "only the tailnet uses the translator";

export function foreignTrafficCheck(
  config: ResolvedRelayConfig,
  counters: Readonly<Record<string, NftCounter>>,
): CheckResult {
  if (!config.allowFrom.some((range) => range.includes(":"))) {
    return fail(
      "foreign-traffic",
      TITLE,
      `allowFrom: ${config.allowFrom.join(", ")}`,
      "`allowFrom` has no IPv6 range, so every packet toward the prefix is refused (refused_source)",
      "add the clients' tailnet IPv6 range to `allowFrom` (default fd7a:115c:a1e0::/48)",
    );
  }
  const names = [
    COUNTERS.refusedInterface,
    COUNTERS.refusedSource,
    COUNTERS.refusedEgress,
    COUNTERS.refusedPool,
  ];
  const count = (name: string) => counters[name]?.packets ?? 0;
  const detail = names.map((name) => `${name} ${count(name)}`).join(", ");
  if (count(COUNTERS.refusedEgress) > 0) {
    return warn(
      "foreign-traffic",
      TITLE,
      `${detail}: translated IPv4 was routed out an interface that is not in egressInterfaces (${config.egressInterfaces.join(", ")})`,
      "if those targets are meant to be reached, add the interface their route uses to `egressInterfaces`",
    );
  }
  if (names.some((name) => count(name) > 0)) {
    return warn(
      "foreign-traffic",
      TITLE,
      `${detail}: packets toward the prefix came in on another interface than ${config.overlayInterface} or from outside allowFrom, and were dropped before the translator`,
      "nothing to fix on the relay; if tailnet clients are refused, check `overlayInterface` and `allowFrom`",
    );
  }
  return pass("foreign-traffic", TITLE, `${detail}`);
}
