// Jool's part of the agent's nft table: the guard on the IPv6 side, before Jool translates.
// Pure: text in, text out.
import { cidr } from "../../core/ip.ts";
import { NEVER_FORWARDED_IPV4 } from "../../core/special-use.ts";
import { JOOL_POOL4_PORTS } from "./jool.ts";
import {
  ALLOWED_V6_SET,
  CLAMP_MSS,
  COUNTERS,
  chain,
  embeddedRanges,
  NEVER_V6_SET,
  type NftTableInput,
  NOT_TRACKED_FLOW,
  type TranslatorRuleset,
} from "./nft-ruleset.ts";

/**
 * Jool translates in prerouting (netfilter mode, priority -75) and does its own NAPT from the
 * node's addresses, so the guard sits on the IPv6 side before it (priority -150; the hook
 * priorities are in docs/design.md, "Netfilter and the host"): the DNS feeds
 * the synthesized IPv6 addresses into allowed_v6, and never_v6 holds the special-use ranges as
 * embedded in the prefix. Jool steals the packets it translates, so the filter chains after
 * prerouting never see them; the packets it emits do pass postrouting, where the counter for the
 * way back to the clients sits. MSS is clamped on both sides before Jool: IPv6 from the clients,
 * and IPv4 coming back to Jool's ports (its default pool4 port range on the node's addresses).
 */
export function joolRuleset(input: NftTableInput): TranslatorRuleset {
  const prefix = input.prefix;
  const embedded = embeddedRanges(cidr(prefix), NEVER_FORWARDED_IPV4).join(", ");
  return {
    ingress: [],
    sets: [`  set ${NEVER_V6_SET} { type ipv6_addr; flags interval; elements = { ${embedded} } }`],
    chains: [
      chain("prerouting", "type filter hook prerouting priority -150; policy accept;", [
        `ip6 daddr ${prefix} ip6 daddr @${NEVER_V6_SET} counter name ${COUNTERS.guardSpecial} drop`,
        `ip6 daddr ${prefix} ${NOT_TRACKED_FLOW} ip6 daddr != @${ALLOWED_V6_SET} counter name ${COUNTERS.guardUnknown} drop`,
        `ip6 daddr ${prefix} ${CLAMP_MSS}`,
        `meta nfproto ipv4 fib daddr type local tcp dport ${JOOL_POOL4_PORTS} ${CLAMP_MSS}`,
        `ip6 daddr ${prefix} counter name ${COUNTERS.fromClients} accept`,
      ]),
      chain("postrouting", "type filter hook postrouting priority filter; policy accept;", [
        `ip6 saddr ${prefix} ${CLAMP_MSS}`,
        `ip6 saddr ${prefix} counter name ${COUNTERS.toClients} accept`,
      ]),
    ],
  };
}
