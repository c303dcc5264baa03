// Mnemonics for query types and response codes in log lines, as dig prints them: the IANA
// "DNS Parameters" registry names, and RFC 3597 §5's TYPE<n> for a type without one.
import { Rcode, RRType } from "./wire.ts";

const QTYPE_NAMES: Readonly<Record<number, string>> = {
  ...Object.fromEntries(Object.entries(RRType).map(([name, value]) => [value, name])),
  12: "PTR",
  15: "MX",
  16: "TXT",
  33: "SRV",
  35: "NAPTR",
  43: "DS",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  52: "TLSA",
  64: "SVCB",
  65: "HTTPS",
  257: "CAA",
};

const RCODE_NAMES: Readonly<Record<number, string>> = {
  ...Object.fromEntries(Object.entries(Rcode).map(([name, value]) => [value, name])),
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
};

export const qtypeName = (qtype: number): string => QTYPE_NAMES[qtype] ?? `TYPE${qtype}`;

/** RFC 6895 §2.3 has no generic form for an unassigned rcode; RCODE<n> says what it is. */
export const rcodeName = (rcode: number): string => RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
