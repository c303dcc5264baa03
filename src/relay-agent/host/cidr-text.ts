// Prefixes as text from different tools (`ip -j route`, tailscale prefs, jool, the config) can
// spell the same network differently ("FD00:0::/96" vs "fd00::/96"): compare canonical text.
import { formatCidr, parseCidr } from "../../core/ip.ts";

/** RFC 5952 text of a network ("fd00::/96"); text that is not a clean CIDR is returned as is. */
export function canonicalCidr(text: string): string {
  const parsed = parseCidr(text.trim());
  return parsed.ok && !parsed.hostBitsSet ? formatCidr(parsed.cidr) : text;
}

export function sameCidr(a: string, b: string): boolean {
  return a === b || canonicalCidr(a) === canonicalCidr(b);
}

/** Whether the list holds the network, however either side spells it. */
export function includesCidr(list: readonly string[], cidr: string): boolean {
  return list.some((item) => sameCidr(item, cidr));
}
