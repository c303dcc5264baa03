// tayga.conf for the relay (docs/design.md, "tayga and Jool"). Pure.
import { formatIpv4, parseCidr } from "../../core/ip.ts";

export const TUN_DEVICE = "nat64relay";

export interface TaygaConfigInput {
  readonly tunDevice: string;
  readonly prefix: string;
  readonly pool: string;
  readonly dataDir: string;
}

/** tayga's own IPv4 (it answers ICMP from it): the first host address of the pool. */
export function taygaIpv4Address(pool: string): string {
  const parsed = parseCidr(pool);
  if (!parsed.ok || parsed.cidr.family !== 4) throw new RangeError(`bad IPv4 pool ${pool}`);
  return formatIpv4(parsed.cidr.network + 1n);
}

export function renderTaygaConf(input: TaygaConfigInput): string {
  return [
    "# Written by nat64-relay agent; changes are overwritten on the next apply.",
    `tun-device ${input.tunDevice}`,
    `ipv4-addr ${taygaIpv4Address(input.pool)}`,
    `prefix ${input.prefix}`,
    `dynamic-pool ${input.pool}`,
    `data-dir ${input.dataDir}`,
    "",
  ].join("\n");
}
