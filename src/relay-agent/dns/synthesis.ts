// The answer rules (docs/design.md, "DNS answer rules") as pure functions: a question under a
// split zone plus what the upstream said about the real name gives the answer. No I/O, no clock.
import type { Cidr } from "../../core/ip.ts";
import { embedValue } from "../../core/rfc6052.ts";
import { NEVER_SYNTHESIZED_IPV4 } from "../../core/special-use.ts";
import type { ALookup } from "./upstream-answer.ts";
import { type AnswerShape, type EmbeddingTemplate, Rcode, RRType } from "./wire.ts";

/**
 * The AAAA answer for one real name, kept in the cache: the IPv4s to embed (32-bit numbers),
 * not rendered records, so an entry stays small and a new prefix needs no cache flush.
 */
export type Synthesized =
  | {
      readonly kind: "addresses";
      /** IPv4s to embed (special-use ones removed). */
      readonly ipv4s: readonly number[];
      readonly ttl: number;
    }
  | { readonly kind: "nodata"; readonly ttl: number }
  | { readonly kind: "nxdomain"; readonly ttl: number };

/** The RFC 6052 layout for `prefix`, found by embedding marker octets with core's embedValue. */
export function embeddingTemplate(prefix: Cidr): EmbeddingTemplate {
  const bytesOf = (value: bigint) =>
    Uint8Array.from({ length: 16 }, (_, index) =>
      Number((value >> BigInt(120 - index * 8)) & 0xffn),
    );
  const base = bytesOf(embedValue(prefix, 0n));
  const marked = bytesOf(embedValue(prefix, 0x01020304n));
  const offsetOf = (marker: number) =>
    marked.findIndex((byte, index) => byte === marker && base[index] === 0);
  return { base, octetOffsets: [offsetOf(1), offsetOf(2), offsetOf(3), offsetOf(4)] };
}

/**
 * core's NEVER_SYNTHESIZED_IPV4 as 32-bit network/mask pairs: checked once per address on every
 * upstream answer, without the BigInt arithmetic of the general CIDR helpers.
 */
const NEVER_SYNTHESIZED = NEVER_SYNTHESIZED_IPV4.map((range) => ({
  network: Number(range.network) >>> 0,
  mask: range.length === 0 ? 0 : (0xffffffff << (32 - range.length)) >>> 0,
}));

/**
 * Whether a 32-bit IPv4 is special-use and never synthesized (docs/design.md, "DNS answer rules").
 */
export function isNeverSynthesized(ipv4: number): boolean {
  for (const range of NEVER_SYNTHESIZED) {
    if ((ipv4 & range.mask) >>> 0 === range.network) return true;
  }
  return false;
}

/** Dotted text of a 32-bit IPv4 number. */
export function ipv4Text(ipv4: number): string {
  return `${ipv4 >>> 24}.${(ipv4 >>> 16) & 0xff}.${(ipv4 >>> 8) & 0xff}.${ipv4 & 0xff}`;
}

/**
 * What the real name's A records become: special-use IPv4 are never synthesized
 * (docs/security.md), and with none left the answer is NODATA. At most `maxAddresses` are
 * kept, in the upstream's order (a name with hundreds would cost cache memory and answer
 * bytes for no client's benefit). TTL capped by `maxTtl`.
 */
export function synthesizeFromA(
  lookup: ALookup,
  maxTtl: number,
  maxAddresses = Number.POSITIVE_INFINITY,
): Synthesized {
  const ttl = Math.min(lookup.ttl, maxTtl);
  if (lookup.kind !== "addresses") return { kind: lookup.kind, ttl };
  const usable = lookup.ipv4s.filter((ipv4) => !isNeverSynthesized(ipv4));
  if (!usable.length) return { kind: "nodata", ttl };
  // slice(): filter() leaves spare room; the cache keeps this array for its lifetime.
  return { kind: "addresses", ipv4s: usable.slice(0, maxAddresses), ttl };
}

/** Negative answers from the split zone itself carry its SOA with this TTL (RFC 2308 §3). */
export function negativeTtl(maxTtl: number): number {
  return Math.min(maxTtl, 60);
}

/** Whether a question needs the real name's A records (only AAAA does). */
export function needsUpstream(qtype: number): boolean {
  return qtype === RRType.AAAA;
}

/**
 * Every question under a split zone that is not AAAA: the apex SOA/NS, or NODATA with the
 * split SOA for A, HTTPS, SVCB, MX, TXT, ANY and all the rest (their records would leak the
 * real path: docs/design.md, "DNS answer rules").
 */
export function answerWithoutUpstream(qtype: number, atApex: boolean, maxTtl: number): AnswerShape {
  const ttl = negativeTtl(maxTtl);
  if (atApex && qtype === RRType.SOA)
    return { rcode: Rcode.NOERROR, soaAnswer: true, answerTtl: ttl };
  if (atApex && qtype === RRType.NS)
    return { rcode: Rcode.NOERROR, nsAnswer: true, answerTtl: ttl };
  return { rcode: Rcode.NOERROR, authoritySoaTtl: ttl };
}

/** The AAAA answer from a synthesized result, with the TTL still left on it. */
export function answerFromSynthesized(
  result: Synthesized,
  remainingTtl: number,
  template: EmbeddingTemplate,
): AnswerShape {
  switch (result.kind) {
    case "addresses":
      return {
        rcode: Rcode.NOERROR,
        aaaa: { template, ipv4s: result.ipv4s },
        answerTtl: remainingTtl,
      };
    case "nodata":
      return { rcode: Rcode.NOERROR, authoritySoaTtl: remainingTtl };
    case "nxdomain":
      return { rcode: Rcode.NXDOMAIN, authoritySoaTtl: remainingTtl };
  }
}
