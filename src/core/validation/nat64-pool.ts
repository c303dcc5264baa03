// Rules for NAT64_V4_POOL: the IPv4 range tayga maps IPv6 clients into. Why it must stay out of
// 100.64.0.0/10: docs/design.md, "Tailscale facts".
import { type Cidr, cidr, cidrsOverlap, formatCidr, parseCidr } from "../ip.ts";
import { NEVER_FORWARDED_IPV4 } from "../special-use.ts";

const TAILSCALE_CGNAT = cidr("100.64.0.0/10");
const SUGGESTION = "use a private range no LAN of yours uses, e.g. 192.168.240.0/20";

export type PoolCheck = { ok: true; pool: Cidr } | { ok: false; reasons: string[] };

export function checkNat64Pool(text: string): PoolCheck {
  const parsed = parseCidr(text);
  if (!parsed.ok) return { ok: false, reasons: [`${parsed.reason}; ${SUGGESTION}`] };
  const { cidr: pool, hostBitsSet } = parsed;
  if (pool.family !== 4) {
    return { ok: false, reasons: [`"${text}" is IPv6; the NAT64 pool is IPv4: ${SUGGESTION}`] };
  }
  const reasons: string[] = [];
  if (hostBitsSet)
    reasons.push(`"${text}" has bits set after /${pool.length}; write ${formatCidr(pool)}`);
  if (pool.length > 30 || pool.length < 8) {
    reasons.push(`a /${pool.length} pool is unusable: use a /8 to /30 (a /20 maps 4,094 clients)`);
  }
  if (cidrsOverlap(pool, TAILSCALE_CGNAT)) {
    reasons.push(
      `${formatCidr(pool)} is inside 100.64.0.0/10: Tailscale's netfilter rules drop forwarded packets from that range that did not arrive on tailscale0, so translated traffic would vanish: ${SUGGESTION}`,
    );
  }
  const special = NEVER_FORWARDED_IPV4.find((range) => cidrsOverlap(pool, range));
  if (special) {
    reasons.push(`${formatCidr(pool)} overlaps special-use ${formatCidr(special)}: ${SUGGESTION}`);
  }
  return reasons.length ? { ok: false, reasons } : { ok: true, pool };
}
