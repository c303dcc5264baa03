// Bytes of the fast path's map keys and values, as the C structs lay them out. Pure.
// Addresses are in network order; the config's `enabled` and the counters are host-order
// integers (the agent runs on the machine whose kernel reads them).
import { endianness } from "node:os";
import {
  cidr,
  formatIpv4,
  formatIpv6,
  hostMask,
  parseIpv4,
  parseIpv6,
} from "../../../../core/ip.ts";

const LITTLE = endianness() === "LE";

export function ipv4Bytes(address: string): Buffer {
  const value = parseIpv4(address);
  if (value === undefined) throw new RangeError(`not an IPv4 address: ${address}`);
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(Number(value));
  return bytes;
}

export function ipv6Bytes(address: string): Buffer {
  const value = parseIpv6(address);
  if (value === undefined) throw new RangeError(`not an IPv6 address: ${address}`);
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64BE(value >> 64n, 0);
  bytes.writeBigUInt64BE(value & 0xffff_ffff_ffff_ffffn, 8);
  return bytes;
}

export const formatIpv4Bytes = (bytes: Buffer) => formatIpv4(BigInt(bytes.readUInt32BE(0)));

export const formatIpv6Bytes = (bytes: Buffer) =>
  formatIpv6((bytes.readBigUInt64BE(0) << 64n) | bytes.readBigUInt64BE(8));

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  if (LITTLE) bytes.writeUInt32LE(value);
  else bytes.writeUInt32BE(value);
  return bytes;
}

/** The only key of the config array and the counters' index: a host-order u32. */
export const indexKey = (index: number) => u32(index);

/** struct fast_path_config: the /96 prefix's first 12 bytes, pool network, pool mask, enabled. */
export function configValue(prefix: string, pool: string): Buffer {
  const prefixCidr = cidr(prefix);
  const poolCidr = cidr(pool);
  if (prefixCidr.family !== 6 || prefixCidr.length !== 96) {
    throw new RangeError(`the fast path needs a /96 NAT64 prefix, not ${prefix}`);
  }
  if (poolCidr.family !== 4) throw new RangeError(`not an IPv4 pool: ${pool}`);
  const mask = Buffer.alloc(4);
  mask.writeUInt32BE(Number(0xffff_ffffn ^ hostMask(4, poolCidr.length)));
  return Buffer.concat([
    ipv6Bytes(formatIpv6(prefixCidr.network)).subarray(0, 12),
    ipv4Bytes(formatIpv4(poolCidr.network)),
    mask,
    u32(1),
  ]);
}

/** A per-CPU u64 counter, summed over the CPUs. */
export function sumCounter(values: readonly Buffer[]): bigint {
  return values.reduce(
    (sum, value) => sum + (LITTLE ? value.readBigUInt64LE(0) : value.readBigUInt64BE(0)),
    0n,
  );
}

export const readIndexKey = (key: Buffer) => (LITTLE ? key.readUInt32LE(0) : key.readUInt32BE(0));
