// Tailscale gives every node one address in 100.64.0.0/10 (CGNAT, RFC 6598) and one in
// fd7a:115c:a1e0::/48 (its ULA). Only such addresses may become split DNS nameservers
// (docs/design.md, "Tailscale facts").
import { cidr, cidrContains, formatIp, parseIp } from "../../core/ip.ts";

const TAILNET_RANGES = [cidr("100.64.0.0/10"), cidr("fd7a:115c:a1e0::/48")];

/** The address in canonical text when it is a tailnet address, else undefined. */
export function canonicalTailnetAddress(text: string): string | undefined {
  const address = parseIp(text);
  if (!address) return undefined;
  if (!TAILNET_RANGES.some((range) => cidrContains(range, address.family, address.value))) {
    return undefined;
  }
  return formatIp(address.family, address.value);
}

export function isTailnetAddress(text: string): boolean {
  return canonicalTailnetAddress(text) !== undefined;
}
