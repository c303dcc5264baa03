// Reads an upstream's reply to our A query and follows the CNAME chain inside it. Pure.
import { CLASS_IN, Flag, HEADER_LENGTH, Rcode, RRType, readName, skipName } from "./wire.ts";

/** What the upstream knows about a real name's IPv4 addresses, CNAMEs flattened away. */
export type ALookup =
  | { readonly kind: "addresses"; readonly ipv4s: readonly number[]; readonly ttl: number }
  | { readonly kind: "nodata"; readonly ttl: number }
  | { readonly kind: "nxdomain"; readonly ttl: number };

export type UpstreamReply =
  /** Not the answer to our question (wrong ID, question or not a response): keep waiting. */
  | { readonly kind: "mismatch" }
  /** TC set: ask again over TCP. */
  | { readonly kind: "truncated" }
  /** SERVFAIL, REFUSED, NOTIMP...: try the next upstream. */
  | { readonly kind: "failure"; readonly rcode: number }
  | {
      readonly kind: "answer";
      readonly rcode: number;
      readonly cnames: ReadonlyMap<string, { target: string; ttl: number }>;
      readonly addresses: ReadonlyMap<string, { ipv4s: number[]; ttl: number }>;
      /** min(SOA TTL, SOA MINIMUM) from the authority section (RFC 2308 §5), if present. */
      readonly negativeTtl: number | undefined;
    };

/** Used when a negative answer carries no SOA (RFC 2308 §5 says not to cache it for long). */
export const NEGATIVE_TTL_WITHOUT_SOA = 30;
const MAX_CHAIN = 16;

export function readUpstreamReply(
  message: Uint8Array,
  expectedId: number,
  expectedKey: string,
  expectedType: number,
): UpstreamReply {
  if (message.length < HEADER_LENGTH) return { kind: "mismatch" };
  const id = (message[0]! << 8) | message[1]!;
  const flags = (message[2]! << 8) | message[3]!;
  const qdcount = (message[4]! << 8) | message[5]!;
  if (id !== expectedId || !(flags & Flag.QR) || flags & 0x7800 || qdcount !== 1) {
    return { kind: "mismatch" };
  }
  const question = readName(message, HEADER_LENGTH);
  if (!question || question.key !== expectedKey || question.next + 4 > message.length) {
    return { kind: "mismatch" };
  }
  const qtype = (message[question.next]! << 8) | message[question.next + 1]!;
  const qclass = (message[question.next + 2]! << 8) | message[question.next + 3]!;
  if (qtype !== expectedType || qclass !== CLASS_IN) return { kind: "mismatch" };
  if (flags & Flag.TC) return { kind: "truncated" };
  const rcode = flags & 0x0f;
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return { kind: "failure", rcode };

  const ancount = (message[6]! << 8) | message[7]!;
  const nscount = (message[8]! << 8) | message[9]!;
  const cnames = new Map<string, { target: string; ttl: number }>();
  const addresses = new Map<string, { ipv4s: number[]; ttl: number }>();
  let negativeTtl: number | undefined;
  let offset = question.next + 4;
  for (let index = 0; index < ancount + nscount; index++) {
    const owner = readName(message, offset);
    if (!owner || owner.next + 10 > message.length) return { kind: "failure", rcode: -1 };
    offset = owner.next;
    const type = (message[offset]! << 8) | message[offset + 1]!;
    const klass = (message[offset + 2]! << 8) | message[offset + 3]!;
    const ttl = readTtl(message, offset + 4);
    const rdlength = (message[offset + 8]! << 8) | message[offset + 9]!;
    const rdata = offset + 10;
    offset = rdata + rdlength;
    if (offset > message.length) return { kind: "failure", rcode: -1 };
    if (klass !== CLASS_IN) continue;
    const inAnswer = index < ancount;
    if (inAnswer && type === RRType.A && rdlength === 4) {
      const ipv4 =
        ((message[rdata]! << 24) >>> 0) +
        (message[rdata + 1]! << 16) +
        (message[rdata + 2]! << 8) +
        message[rdata + 3]!;
      const set = addresses.get(owner.key);
      if (set) {
        set.ipv4s.push(ipv4);
        set.ttl = Math.min(set.ttl, ttl);
      } else addresses.set(owner.key, { ipv4s: [ipv4], ttl });
    } else if (inAnswer && type === RRType.CNAME) {
      const target = readName(message, rdata);
      if (!target) return { kind: "failure", rcode: -1 };
      cnames.set(owner.key, { target: target.key, ttl });
    } else if (!inAnswer && type === RRType.SOA) {
      // MINIMUM is the last 4 octets of the SOA RDATA.
      if (rdlength >= 22 && skipName(message, rdata) > 0) {
        negativeTtl = Math.min(ttl, readTtl(message, rdata + rdlength - 4));
      }
    }
  }
  // Duplicates removed once per owner, in linear time: a 64 KB TCP reply holds ~4,000 records,
  // and checking each against the ones before would cost millions of comparisons.
  for (const set of addresses.values()) {
    if (set.ipv4s.length > 1) set.ipv4s = [...new Set(set.ipv4s)];
  }
  return { kind: "answer", rcode, cnames, addresses, negativeTtl };
}

/** TTLs with the top bit set are treated as 0 (RFC 2181 §8). */
function readTtl(message: Uint8Array, offset: number): number {
  const ttl =
    ((message[offset]! << 24) >>> 0) +
    (message[offset + 1]! << 16) +
    (message[offset + 2]! << 8) +
    message[offset + 3]!;
  return ttl > 0x7fffffff ? 0 : ttl;
}

export type ChainResult =
  | { readonly kind: "done"; readonly lookup: ALookup }
  /** The chain leaves what the upstream answered (e.g. an out-of-zone target): ask for `next`. */
  | { readonly kind: "continue"; readonly next: string; readonly ttl: number };

/**
 * Follows CNAMEs from `key` through one reply. The TTL of the outcome is the minimum along the
 * chain (`ttlSoFar` carries it across several replies).
 */
export function followChain(
  reply: Extract<UpstreamReply, { kind: "answer" }>,
  key: string,
  ttlSoFar = Number.POSITIVE_INFINITY,
): ChainResult {
  let name = key;
  let ttl = ttlSoFar;
  let followed = 0;
  for (; followed < MAX_CHAIN; followed++) {
    const found = reply.addresses.get(name);
    if (found)
      return {
        kind: "done",
        lookup: { kind: "addresses", ipv4s: found.ipv4s, ttl: Math.min(ttl, found.ttl) },
      };
    const cname = reply.cnames.get(name);
    if (!cname) break;
    ttl = Math.min(ttl, cname.ttl);
    name = cname.target;
  }
  const negativeTtl = Math.min(ttl, reply.negativeTtl ?? NEGATIVE_TTL_WITHOUT_SOA);
  if (reply.rcode === Rcode.NXDOMAIN)
    return { kind: "done", lookup: { kind: "nxdomain", ttl: negativeTtl } };
  // A chain that ends at a name the reply says nothing about, with no SOA proving NODATA: the
  // upstream (an authoritative server) did not follow it; the caller asks for the target.
  if (followed > 0 && followed < MAX_CHAIN && reply.negativeTtl === undefined) {
    return { kind: "continue", next: name, ttl };
  }
  return { kind: "done", lookup: { kind: "nodata", ttl: negativeTtl } };
}
