// Rules for NAT64_PREFIX: the IPv6 prefix AAAA answers are synthesized in. The facts behind
// them: docs/design.md, "RFC 6052 embedding".
import type { Nat64Engine } from "../config/engine.ts";
import { type Cidr, cidr, cidrsOverlap, formatCidr, parseCidr } from "../ip.ts";
import { isRfc6052PrefixLength } from "../rfc6052.ts";

const TAILSCALE_ULA = cidr("fd7a:115c:a1e0::/48");
const IPV4_MAPPED = cidr("::ffff:0:0/96");
const WELL_KNOWN_PREFIX = cidr("64:ff9b::/96");
const RESERVED_FOR_TAYGA = cidr("::/8");

const SUGGESTION =
  "use a unique-local /96 instead (fd00::/8 with a random RFC 4193 global ID, e.g. fd4e:2a91:7c3d:6464::/96), or leave prefix out and the agent generates one and keeps it";

export type PrefixCheck = { ok: true; prefix: Cidr } | { ok: false; reasons: string[] };

export function checkNat64Prefix(text: string, engine: Nat64Engine): PrefixCheck {
  const parsed = parseCidr(text);
  if (!parsed.ok) return { ok: false, reasons: [`${parsed.reason}; ${SUGGESTION}`] };
  const { cidr: prefix, hostBitsSet } = parsed;
  if (prefix.family !== 6) {
    return { ok: false, reasons: [`"${text}" is IPv4; the NAT64 prefix is IPv6: ${SUGGESTION}`] };
  }
  const reasons: string[] = [];
  if (hostBitsSet) {
    reasons.push(`"${text}" has bits set after /${prefix.length}; write ${formatCidr(prefix)}`);
  }
  if (!isRfc6052PrefixLength(prefix.length)) {
    reasons.push(
      `/${prefix.length} is not an RFC 6052 prefix length: use /32, /40, /48, /56, /64 or /96 (/96 is usual)`,
    );
  } else if (prefix.length === 96 && ((prefix.network >> 56n) & 0xffn) !== 0n) {
    reasons.push(
      `bits 64–71 of a /96 must be zero (RFC 6052 §2.2 "u" octet): ${formatCidr(prefix)} sets them`,
    );
  }
  if (cidrsOverlap(prefix, TAILSCALE_ULA)) {
    reasons.push(
      `${formatCidr(prefix)} overlaps fd7a:115c:a1e0::/48, Tailscale's own addresses (and 4via6): ${SUGGESTION}`,
    );
  }
  if (cidrsOverlap(prefix, IPV4_MAPPED)) {
    reasons.push(
      `${formatCidr(prefix)} overlaps ::ffff:0:0/96, IPv4-mapped addresses: ${SUGGESTION}`,
    );
  }
  if (cidrsOverlap(prefix, WELL_KNOWN_PREFIX)) {
    reasons.push(
      `64:ff9b::/96 is the well-known prefix: it must not carry non-global IPv4 such as tailnet 100.x targets (RFC 6052 §3.1) and IPv6-only networks route it to their own NAT64: ${SUGGESTION}`,
    );
  } else if (engine === "tayga" && cidrsOverlap(prefix, RESERVED_FOR_TAYGA)) {
    reasons.push(
      `tayga 0.9.2 aborts on prefixes inside ::/8 ("Cannot use reserved address"), RFC 8215's 64:ff9b:1::/48 included: ${SUGGESTION}`,
    );
  }
  return reasons.length ? { ok: false, reasons } : { ok: true, prefix };
}

/**
 * An RFC 4193 unique-local /96 from 5 random bytes (the global ID, §3.2): fdXX:XXXX:XXXX:6464::/96.
 * The caller supplies the randomness so this stays pure.
 */
export function ulaPrefixFromGlobalId(globalId: Uint8Array): string {
  if (globalId.length !== 5) throw new RangeError("an RFC 4193 global ID is 40 bits (5 bytes)");
  const hex = [0xfd, ...globalId].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  const group = (index: number) => hex.slice(index * 4, index * 4 + 4).replace(/^0{1,3}/, "");
  return `${group(0)}:${group(1)}:${group(2)}:6464::/96`;
}
