// tayga's part of the agent's nft table: the guard on the IPv4 side, after translation, and the
// masquerade of its pool. Pure: text in, text out.
import {
  ALLOWED_V4_SET,
  CLAMP_MSS,
  COUNTERS,
  chain,
  NEVER_V4_SET,
  type NftTableInput,
  NOT_TRACKED_FLOW,
  quote,
  type TranslatorRuleset,
} from "./nft-ruleset.ts";

/**
 * Packets from the pool go out only to addresses the DNS handed out (anything but an
 * established or related flow is checked; established ones keep flowing after the entry
 * expires), never to special-use ranges, never to the relay itself (input hook). IPv4 claiming
 * a pool source is refused before conntrack unless tayga's tun sent it.
 */
export function taygaRuleset(input: NftTableInput): TranslatorRuleset {
  const pool = input.pool;
  const egress = input.egressInterfaces.map(quote).join(", ");
  return {
    ingress: [
      `ip saddr ${pool} iifname != ${quote(input.tunDevice)} counter name ${COUNTERS.refusedPool} drop`,
    ],
    sets: [],
    chains: [
      chain("forward", "type filter hook forward priority filter; policy accept;", [
        // The pool's IPv4 leaves only where it is masqueraded; only answers come back to it.
        `ip saddr ${pool} oifname != { ${egress} } counter name ${COUNTERS.refusedEgress} drop`,
        `ip daddr ${pool} ct state != { established, related } counter name ${COUNTERS.refusedPool} drop`,
        `ip saddr ${pool} ip daddr @${NEVER_V4_SET} counter name ${COUNTERS.guardSpecial} drop`,
        `ip saddr ${pool} ${NOT_TRACKED_FLOW} ip daddr != @${ALLOWED_V4_SET} counter name ${COUNTERS.guardUnknown} drop`,
        `ip saddr ${pool} ${CLAMP_MSS}`,
        `ip daddr ${pool} ${CLAMP_MSS}`,
        `ip saddr ${pool} counter name ${COUNTERS.fromClients} accept`,
        `ip daddr ${pool} counter name ${COUNTERS.toClients} accept`,
      ]),
      chain("input", "type filter hook input priority filter; policy accept;", [
        `iifname ${quote(input.tunDevice)} ip saddr ${pool} counter name ${COUNTERS.guardLocal} drop`,
      ]),
      chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", [
        `ip saddr ${pool} oifname { ${egress} } counter name ${COUNTERS.masqueraded} masquerade`,
      ]),
    ],
  };
}
