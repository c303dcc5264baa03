// DESIGN.md §2 as pure functions: a question under a split zone + what the upstream said about
// the real name → the answer. No I/O, no clock.
import { type Cidr, embedValue, formatIpv4, isNeverSynthesizedIpv4 } from "../../core/index.ts";
import type { ALookup } from "./upstream-answer.ts";
import { type AnswerShape, Rcode, RRType, renderAaaaRecords } from "./wire.ts";

/** The AAAA answer for one real name, ready to be served many times from cache. */
export type Synthesized =
  | {
      readonly kind: "addresses";
      /** IPv4s we embedded (special-use ones removed), for the open-proxy guard. */
      readonly ipv4s: readonly string[];
      /** AAAA records, owner = pointer to the question, TTL patched per answer. */
      readonly records: Buffer;
      readonly count: number;
      readonly ttl: number;
    }
  | { readonly kind: "nodata"; readonly ttl: number }
  | { readonly kind: "nxdomain"; readonly ttl: number };

/**
 * RFC 6052 synthesis of the real name's A records into `prefix`. Special-use IPv4 are never
 * synthesized (DESIGN.md §2); if none is left the answer is NODATA. TTL capped by `maxTtl`.
 */
export function synthesizeFromA(lookup: ALookup, prefix: Cidr, maxTtl: number): Synthesized {
  const ttl = Math.min(lookup.ttl, maxTtl);
  if (lookup.kind !== "addresses") return { kind: lookup.kind, ttl };
  const usable = lookup.ipv4s.filter((ipv4) => !isNeverSynthesizedIpv4(BigInt(ipv4)));
  if (!usable.length) return { kind: "nodata", ttl };
  const addresses = new Uint8Array(usable.length * 16);
  usable.forEach((ipv4, index) => {
    const value = embedValue(prefix, BigInt(ipv4));
    for (let byte = 0; byte < 16; byte++) {
      addresses[index * 16 + byte] = Number((value >> BigInt(120 - byte * 8)) & 0xffn);
    }
  });
  return {
    kind: "addresses",
    ipv4s: usable.map((ipv4) => formatIpv4(BigInt(ipv4))),
    records: renderAaaaRecords(addresses),
    count: usable.length,
    ttl,
  };
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
 * real path: DESIGN.md §2).
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
export function answerFromSynthesized(result: Synthesized, remainingTtl: number): AnswerShape {
  switch (result.kind) {
    case "addresses":
      return {
        rcode: Rcode.NOERROR,
        aaaaRecords: result.records,
        aaaaCount: result.count,
        answerTtl: remainingTtl,
      };
    case "nodata":
      return { rcode: Rcode.NOERROR, authoritySoaTtl: remainingTtl };
    case "nxdomain":
      return { rcode: Rcode.NXDOMAIN, authoritySoaTtl: remainingTtl };
  }
}
