// IPv4-embedded IPv6 addresses, RFC 6052 §2.2 (docs/design.md, "RFC 6052 embedding").
import { type Cidr, formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "./ip.ts";

/** RFC 6052 §2.2: the only prefix lengths an IPv4-embedded address may use. */
export const RFC6052_PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96] as const;
export type Rfc6052PrefixLength = (typeof RFC6052_PREFIX_LENGTHS)[number];

export function isRfc6052PrefixLength(length: number): length is Rfc6052PrefixLength {
  return (RFC6052_PREFIX_LENGTHS as readonly number[]).includes(length);
}

/** Bits 64–71 are the "u" octet, which RFC 6052 §2.2 requires to be zero and skips. */
const U_OCTET_FIRST_BIT = 64;

/** Bit offsets (from the left, 0..127) of each IPv4 octet for a given prefix length. */
function octetOffsets(prefixLength: Rfc6052PrefixLength): number[] {
  const offsets: number[] = [];
  let bit = prefixLength;
  for (let octet = 0; octet < 4; octet++) {
    if (bit === U_OCTET_FIRST_BIT) bit += 8;
    offsets.push(bit);
    bit += 8;
  }
  return offsets;
}

function assertUsable(prefix: Cidr): Rfc6052PrefixLength {
  if (prefix.family !== 6 || !isRfc6052PrefixLength(prefix.length)) {
    throw new RangeError(
      `RFC 6052 prefix must be IPv6 /32, /40, /48, /56, /64 or /96, got /${prefix.length}`,
    );
  }
  return prefix.length;
}

/** Embeds an IPv4 address (as a 32-bit bigint) into the prefix; the suffix bits stay zero. */
export function embedValue(prefix: Cidr, ipv4: bigint): bigint {
  const offsets = octetOffsets(assertUsable(prefix));
  let value = prefix.network;
  offsets.forEach((offset, index) => {
    const octet = (ipv4 >> BigInt(24 - index * 8)) & 0xffn;
    value |= octet << BigInt(120 - offset);
  });
  return value;
}

/** Recovers the IPv4 address (as a bigint) from an address inside the prefix. */
export function extractValue(prefix: Cidr, ipv6: bigint): bigint {
  const offsets = octetOffsets(assertUsable(prefix));
  let ipv4 = 0n;
  for (const offset of offsets) ipv4 = (ipv4 << 8n) | ((ipv6 >> BigInt(120 - offset)) & 0xffn);
  return ipv4;
}

/** embed(64:ff9b::/96, "192.0.2.33") → "64:ff9b::c000:221" (RFC 6052 §2.4). */
export function embed(prefix: Cidr, ipv4: string): string {
  const value = parseIpv4(ipv4);
  if (value === undefined) throw new RangeError(`"${ipv4}" is not an IPv4 address`);
  return formatIpv6(embedValue(prefix, value));
}

/** Inverse of embed; undefined when the address is not inside the prefix. */
export function extract(prefix: Cidr, ipv6: string): string | undefined {
  const value = parseIpv6(ipv6);
  if (value === undefined) throw new RangeError(`"${ipv6}" is not an IPv6 address`);
  const hostBits = 128n - BigInt(prefix.length);
  if (value >> hostBits !== prefix.network >> hostBits) return undefined;
  return formatIpv4(extractValue(prefix, value));
}
