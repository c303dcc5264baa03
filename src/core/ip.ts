// Pure IPv4/IPv6 address and CIDR arithmetic on bigints. No I/O.

export type IpFamily = 4 | 6;

export interface Cidr {
  readonly family: IpFamily;
  /** Network address with host bits cleared. */
  readonly network: bigint;
  readonly length: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

export function bitsOf(family: IpFamily): number {
  return BITS[family];
}

export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Leading zeros are refused: "010" means octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join(".");
}

export function parseIpv6(text: string): bigint | undefined {
  if (text.includes("%")) return undefined; // zone IDs are not addresses
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const left = toGroups(halves[0] ?? "");
  const right = halves.length === 2 ? toGroups(halves[1] ?? "") : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** RFC 5952 canonical text: lower case, longest run of two or more zero groups as "::". */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}

export function parseIp(text: string): { family: IpFamily; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

export function formatIp(family: IpFamily, value: bigint): string {
  return family === 4 ? formatIpv4(value) : formatIpv6(value);
}

export function hostMask(family: IpFamily, length: number): bigint {
  return (1n << BigInt(bitsOf(family) - length)) - 1n;
}

export type CidrParse =
  | { ok: true; cidr: Cidr; hostBitsSet: boolean }
  | { ok: false; reason: string };

/** Parses "addr/len". Host bits set is reported, not silently cleared, so callers can refuse it. */
export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf("/");
  if (slash < 0) return { ok: false, reason: `"${text}" has no "/length"` };
  const address = parseIp(text.slice(0, slash));
  if (!address) return { ok: false, reason: `"${text.slice(0, slash)}" is not an IP address` };
  const lengthText = text.slice(slash + 1);
  const max = bitsOf(address.family);
  if (!/^[0-9]{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    return { ok: false, reason: `"/${lengthText}" is not a prefix length from 0 to ${max}` };
  }
  const length = Number(lengthText);
  const mask = hostMask(address.family, length);
  return {
    ok: true,
    cidr: { family: address.family, network: address.value & ~mask, length },
    hostBitsSet: (address.value & mask) !== 0n,
  };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.network)}/${cidr.length}`;
}

export function cidrContains(cidr: Cidr, family: IpFamily, value: bigint): boolean {
  if (cidr.family !== family) return false;
  return (value & ~hostMask(family, cidr.length)) === cidr.network;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = a.length <= b.length ? a : b;
  const longer = shorter === a ? b : a;
  return cidrContains(shorter, longer.family, longer.network);
}

/** Parses a CIDR literal known to be valid (constants in this codebase). */
export function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`bad CIDR constant ${text}: ${parsed.reason}`);
  return parsed.cidr;
}
