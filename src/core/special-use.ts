// IPv4 ranges the relay must never synthesize or forward to (DESIGN.md §2 and §4).
import { type Cidr, cidr, cidrContains } from "./ip.ts";

/** Never synthesized into AAAA answers (RFC 6890 special-purpose ranges that are not hosts). */
export const NEVER_SYNTHESIZED_IPV4: readonly Cidr[] = [
  cidr("0.0.0.0/8"), // "this network", RFC 1122 §3.2.1.3
  cidr("127.0.0.0/8"), // loopback, RFC 1122
  cidr("169.254.0.0/16"), // link local, RFC 3927 (169.254.169.254 is cloud metadata)
  cidr("224.0.0.0/4"), // multicast, RFC 5771
  cidr("255.255.255.255/32"), // limited broadcast, RFC 919
];

/** Never forwarded to by the open-proxy guard: the above plus reserved 240/4. */
export const NEVER_FORWARDED_IPV4: readonly Cidr[] = [
  ...NEVER_SYNTHESIZED_IPV4.filter((range) => range.length !== 32),
  cidr("240.0.0.0/4"), // reserved, RFC 1112 §4 (includes 255.255.255.255)
];

export function isNeverSynthesizedIpv4(ipv4: bigint): boolean {
  return NEVER_SYNTHESIZED_IPV4.some((range) => cidrContains(range, 4, ipv4));
}
