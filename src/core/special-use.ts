// IPv4 ranges the relay must never synthesize or forward to (docs/security.md).
import { type Cidr, cidr, cidrContains } from "./ip.ts";

/**
 * Never synthesized into AAAA answers and never forwarded to (RFC 6890 special-purpose ranges
 * that are not unicast hosts).
 *
 * Broadcast: the relay does not know a target's subnet, so only the addresses that are a
 * broadcast in every network are refused here: 255.255.255.255 (limited broadcast, RFC 919),
 * inside 240/4. A directed broadcast (the last address of some remote subnet) looks like any
 * host address (x.y.z.255 is a host in a /23): routers do not forward those by default
 * (RFC 2644), and Linux does not turn a forwarded packet into a broadcast on a connected subnet
 * unless `net.ipv4.conf.*.bc_forwarding` is set (default 0).
 */
export const NEVER_SYNTHESIZED_IPV4: readonly Cidr[] = [
  cidr("0.0.0.0/8"), // "this network", RFC 1122 §3.2.1.3
  cidr("127.0.0.0/8"), // loopback, RFC 1122
  cidr("169.254.0.0/16"), // link local, RFC 3927 (169.254.169.254 is cloud metadata)
  cidr("224.0.0.0/4"), // multicast, RFC 5771
  cidr("240.0.0.0/4"), // reserved, RFC 1112 §4; includes 255.255.255.255 (RFC 919)
];

/** Never forwarded to by the open-proxy guard: the same ranges. */
export const NEVER_FORWARDED_IPV4: readonly Cidr[] = NEVER_SYNTHESIZED_IPV4;

export function isNeverSynthesizedIpv4(ipv4: bigint): boolean {
  return NEVER_SYNTHESIZED_IPV4.some((range) => cidrContains(range, 4, ipv4));
}
