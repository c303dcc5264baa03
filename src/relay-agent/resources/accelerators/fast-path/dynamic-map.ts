// tayga's data-dir/dynamic.map: the client IPv6 → pool IPv4 pairs tayga assigned, one
// "<ipv4> <ipv6> <last use>" line each. tayga 0.9.2 rewrites it (to a temporary file, then
// renamed) on its pool maintenance pass: at start-up, within ~45 s of a new assignment, and
// on shutdown; it reads it back on start, so a restarted tayga keeps every client's address.
// The fast path mirrors exactly these pairs (docs/fast-path.md, "Addresses"). Pure.
import {
  cidr,
  cidrContains,
  formatIpv4,
  formatIpv6,
  parseIpv4,
  parseIpv6,
} from "../../../../core/ip.ts";

export const DYNAMIC_MAP_FILE = "dynamic.map";

export interface ClientMapping {
  /** The client's IPv6, canonical text. */
  readonly ipv6: string;
  /** Its pool IPv4. */
  readonly ipv4: string;
}

/**
 * The pairs in the file, as tayga loads them: lines outside the pool, malformed ones and
 * repeats of an address already seen are skipped (tayga ignores them too).
 */
export function parseDynamicMap(text: string, pool: string): ClientMapping[] {
  const poolCidr = cidr(pool);
  const seen4 = new Set<string>();
  const seen6 = new Set<string>();
  const pairs: ClientMapping[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 3 || fields[0]?.startsWith("#")) continue;
    const [text4 = "", text6 = "", lastUse = ""] = fields;
    const value4 = parseIpv4(text4);
    const value6 = parseIpv6(text6);
    if (value4 === undefined || value6 === undefined || !/^\d+$/.test(lastUse)) continue;
    if (!cidrContains(poolCidr, 4, value4)) continue;
    const ipv4 = formatIpv4(value4);
    const ipv6 = formatIpv6(value6);
    if (seen4.has(ipv4) || seen6.has(ipv6)) continue;
    seen4.add(ipv4);
    seen6.add(ipv6);
    pairs.push({ ipv6, ipv4 });
  }
  return pairs;
}
