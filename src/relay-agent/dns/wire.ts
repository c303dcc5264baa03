// DNS wire format (RFC 1035 §4) for the few message shapes this server reads and writes.
// Hand-written so the hot path neither allocates per record nor re-encodes names: every
// owner name in an answer is a compression pointer into the question the client sent, which
// also keeps the client's 0x20 letter case for free (docs/design.md, "DNS answer rules").

export const HEADER_LENGTH = 12;
/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire. */
export const MAX_NAME_WIRE_LENGTH = 255;
/** Without EDNS a UDP answer is at most 512 octets (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_PAYLOAD = 512;
/** What we advertise and never exceed over UDP (DNS Flag Day 2020: no IP fragmentation). */
export const MAX_UDP_PAYLOAD = 1232;
/** Pointer to the question name, which always starts right after the header. */
const POINTER_TO_QUESTION = 0xc000 | HEADER_LENGTH;

export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  CD: 0x0010,
} as const;
const OPCODE_MASK = 0x7800;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode 16 (RFC 6891 §9): upper bits in OPT, lower 4 bits 0 in the header. */
  BADVERS: 16,
} as const;

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  AAAA: 28,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
} as const;
export const CLASS_IN = 1;

/** Outcome of reading a query: answer it, answer with an error rcode, or say nothing. */
export const ParseStatus = {
  OK: 0,
  DROP: 1,
  FORMERR: 2,
  NOTIMP: 3,
  BADVERS: 4,
} as const;
export type ParseStatus = (typeof ParseStatus)[keyof typeof ParseStatus];

/**
 * A parsed query. One instance is reused by a transport for every packet (no allocation per
 * query); copy what you keep with `snapshotQuery` before going asynchronous.
 */
export interface ParsedQuery {
  id: number;
  flags: number;
  qtype: number;
  qclass: number;
  /** Offset just past QTYPE/QCLASS: header + question end here. */
  questionEnd: number;
  /** Lower-cased (ASCII only) wire form of the name, as a latin1 string: the lookup key. */
  key: string;
  /** Offsets inside `key` where each label starts; `labelCount` of them are valid. */
  labelStarts: Int32Array;
  labelCount: number;
  edns: boolean;
  /** The client's EDNS UDP payload size, or 512 without EDNS. */
  udpPayload: number;
}

export function newParsedQuery(): ParsedQuery {
  return {
    id: 0,
    flags: 0,
    qtype: 0,
    qclass: 0,
    questionEnd: 0,
    key: "",
    labelStarts: new Int32Array(128),
    labelCount: 0,
    edns: false,
    udpPayload: CLASSIC_UDP_PAYLOAD,
  };
}

export function snapshotQuery(query: ParsedQuery): ParsedQuery {
  return { ...query, labelStarts: query.labelStarts.slice(0, query.labelCount) };
}

const scratch = Buffer.alloc(MAX_NAME_WIRE_LENGTH);

/**
 * Reads a query into `out`. Compression pointers in the question are refused: nothing precedes
 * the question a pointer could legitimately reach, so a pointer there is malformed or a loop.
 */
export function parseQuery(message: Uint8Array, out: ParsedQuery): ParseStatus {
  const length = message.length;
  if (length < HEADER_LENGTH) return ParseStatus.DROP;
  const flags = (message[2]! << 8) | message[3]!;
  if (flags & Flag.QR) return ParseStatus.DROP; // a response: answering it could start a loop
  out.id = (message[0]! << 8) | message[1]!;
  out.flags = flags;
  out.edns = false;
  out.udpPayload = CLASSIC_UDP_PAYLOAD;
  out.questionEnd = HEADER_LENGTH;
  out.key = "";
  out.labelCount = 0;
  if (flags & OPCODE_MASK) return ParseStatus.NOTIMP;
  const qdcount = (message[4]! << 8) | message[5]!;
  const ancount = (message[6]! << 8) | message[7]!;
  const nscount = (message[8]! << 8) | message[9]!;
  const arcount = (message[10]! << 8) | message[11]!;
  if (qdcount !== 1 || ancount !== 0 || nscount !== 0) return ParseStatus.FORMERR;

  let offset = HEADER_LENGTH;
  let labels = 0;
  for (;;) {
    if (offset >= length) return ParseStatus.FORMERR;
    const labelLength = message[offset]!;
    if (labelLength & 0xc0) return ParseStatus.FORMERR; // pointer or reserved label type
    const end = offset + 1 + labelLength;
    if (end - HEADER_LENGTH > MAX_NAME_WIRE_LENGTH || end > length) return ParseStatus.FORMERR;
    scratch[offset - HEADER_LENGTH] = labelLength;
    if (labelLength === 0) {
      offset = end;
      break;
    }
    out.labelStarts[labels++] = offset - HEADER_LENGTH;
    for (let i = offset + 1; i < end; i++) {
      const byte = message[i]!;
      scratch[i - HEADER_LENGTH] = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
    }
    offset = end;
  }
  if (offset + 4 > length) return ParseStatus.FORMERR;
  out.key = scratch.toString("latin1", 0, offset - HEADER_LENGTH);
  out.labelCount = labels;
  out.qtype = (message[offset]! << 8) | message[offset + 1]!;
  out.qclass = (message[offset + 2]! << 8) | message[offset + 3]!;
  offset += 4;
  out.questionEnd = offset;

  let badVersion = false;
  for (let record = 0; record < arcount; record++) {
    const ownerStart = offset;
    offset = skipName(message, offset);
    if (offset < 0 || offset + 10 > length) return ParseStatus.FORMERR;
    const type = (message[offset]! << 8) | message[offset + 1]!;
    const rdlength = (message[offset + 8]! << 8) | message[offset + 9]!;
    if (type === RRType.OPT) {
      // RFC 6891 §6.1.1: one OPT, owned by the root.
      if (out.edns || offset !== ownerStart + 1) return ParseStatus.FORMERR;
      out.edns = true;
      const payload = (message[offset + 2]! << 8) | message[offset + 3]!;
      out.udpPayload = Math.max(payload, CLASSIC_UDP_PAYLOAD);
      if (message[offset + 5] !== 0) badVersion = true;
    }
    offset += 10 + rdlength;
    if (offset > length) return ParseStatus.FORMERR;
  }
  return badVersion ? ParseStatus.BADVERS : ParseStatus.OK;
}

/** Offset just past a possibly compressed name, or -1 when it runs off the message. */
export function skipName(message: Uint8Array, start: number): number {
  let offset = start;
  for (let guard = 0; guard < 128; guard++) {
    if (offset >= message.length) return -1;
    const labelLength = message[offset]!;
    if (labelLength === 0) return offset + 1;
    if ((labelLength & 0xc0) === 0xc0) return offset + 2 <= message.length ? offset + 2 : -1;
    if (labelLength & 0xc0) return -1;
    offset += 1 + labelLength;
  }
  return -1;
}

/**
 * Reads a possibly compressed name as a lower-cased wire-form latin1 string (the key format).
 * Pointers must go strictly backwards, which rules out loops (RFC 1035 §4.1.4 "prior occurrence").
 */
export function readName(
  message: Uint8Array,
  start: number,
): { key: string; next: number } | undefined {
  let offset = start;
  let next = -1;
  let written = 0;
  let lowestJump = start;
  for (;;) {
    if (offset >= message.length) return undefined;
    const labelLength = message[offset]!;
    if ((labelLength & 0xc0) === 0xc0) {
      if (offset + 1 >= message.length) return undefined;
      const target = ((labelLength & 0x3f) << 8) | message[offset + 1]!;
      if (target >= lowestJump) return undefined;
      if (next < 0) next = offset + 2;
      lowestJump = target;
      offset = target;
      continue;
    }
    if (labelLength & 0xc0) return undefined;
    if (written + 1 + labelLength > MAX_NAME_WIRE_LENGTH) return undefined;
    if (offset + 1 + labelLength > message.length) return undefined;
    scratch[written++] = labelLength;
    if (labelLength === 0) break;
    for (let i = offset + 1; i <= offset + labelLength; i++) {
      const byte = message[i]!;
      scratch[written++] = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
    }
    offset += 1 + labelLength;
  }
  return { key: scratch.toString("latin1", 0, written), next: next < 0 ? offset + 1 : next };
}

/** "host.example" → wire-form key; the inverse of keyToName. */
export function nameToKey(name: string): string {
  const trimmed = name.replace(/\.$/, "").toLowerCase();
  if (trimmed === "") return "\0";
  return `${trimmed
    .split(".")
    .map((label) => String.fromCharCode(label.length) + label)
    .join("")}\0`;
}

/**
 * A copy of `key` as one flat string. Keys built by concatenation are ropes that keep their
 * parts (and the whole query name they were sliced from) alive; cached keys must not.
 */
export function flatKey(key: string): string {
  return Buffer.from(key, "latin1").toString("latin1");
}

/** Wire-form key → dotted text (for logs and metrics; label bytes shown as latin1). */
export function keyToName(key: string): string {
  const labels: string[] = [];
  let offset = 0;
  while (offset < key.length) {
    const length = key.charCodeAt(offset);
    if (length === 0) break;
    labels.push(key.slice(offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return labels.length ? labels.join(".") : ".";
}

// ---------------------------------------------------------------------------------------------
// Writing answers

const OPT_RECORD_LENGTH = 11;

/** Header flags of an answer to `query`: QR, our AA and RA, the client's RD and CD kept. */
function answerFlags(query: ParsedQuery, rcode: number, authoritative: boolean): number {
  return (
    Flag.QR |
    (authoritative ? Flag.AA : 0) |
    (query.flags & (Flag.RD | Flag.CD)) |
    Flag.RA |
    (rcode & 0x0f)
  );
}

function writeHeader(
  out: Buffer,
  id: number,
  flags: number,
  qd: number,
  an: number,
  ns: number,
  ar: number,
): void {
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(qd, 4);
  out.writeUInt16BE(an, 6);
  out.writeUInt16BE(ns, 8);
  out.writeUInt16BE(ar, 10);
}

function writeOpt(out: Buffer, offset: number, rcode: number): number {
  out[offset] = 0; // root owner
  out.writeUInt16BE(RRType.OPT, offset + 1);
  out.writeUInt16BE(MAX_UDP_PAYLOAD, offset + 3);
  out[offset + 5] = (rcode >> 4) & 0xff; // extended rcode
  out[offset + 6] = 0; // version
  out.writeUInt16BE(0, offset + 7); // flags (no DO: we do not sign)
  out.writeUInt16BE(0, offset + 9); // rdlength
  return offset + OPT_RECORD_LENGTH;
}

/** An answer with no records: errors (REFUSED, SERVFAIL, FORMERR...) and truncation. */
export function encodeBare(
  message: Uint8Array,
  query: ParsedQuery,
  rcode: number,
  options: { withQuestion: boolean; truncated?: boolean; authoritative?: boolean },
): Buffer {
  const questionLength = options.withQuestion ? query.questionEnd - HEADER_LENGTH : 0;
  const out = Buffer.allocUnsafe(
    HEADER_LENGTH + questionLength + (query.edns ? OPT_RECORD_LENGTH : 0),
  );
  let flags = answerFlags(query, rcode, options.authoritative ?? false);
  if (options.truncated) flags |= Flag.TC;
  writeHeader(out, query.id, flags, options.withQuestion ? 1 : 0, 0, 0, query.edns ? 1 : 0);
  let offset = HEADER_LENGTH;
  if (questionLength) {
    out.set(message.subarray(HEADER_LENGTH, query.questionEnd), offset);
    offset += questionLength;
  }
  if (query.edns) writeOpt(out, offset, rcode);
  return out;
}

/** SOA timers of the synthesized split zone (RFC 1035 §3.3.13). */
export interface SoaTimers {
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** Also the negative-caching TTL (RFC 2308 §4). */
  readonly minimum: number;
}

const HOSTMASTER = Buffer.from("\x0ahostmaster", "latin1");
/** owner ptr(2) + type/class/ttl/rdlen(10) + mname ptr(2) + rname(11+2) + 5 timers(20). */
export const SOA_RECORD_LENGTH = 2 + 10 + 2 + HOSTMASTER.length + 2 + 20;
/** owner ptr(2) + type/class/ttl/rdlen(10) + target ptr(2). */
const NS_RECORD_LENGTH = 14;
/** owner ptr(2) + type/class/ttl/rdlen(10) + address(16). */
export const AAAA_RECORD_LENGTH = 28;

/**
 * The split zone's SOA. Its owner, MNAME and the tail of RNAME point at the apex inside the
 * question name (`apexOffset` bytes into it), so no name is ever written out.
 */
function writeSoa(
  out: Buffer,
  offset: number,
  apexOffset: number,
  ttl: number,
  soa: SoaTimers,
): number {
  const apexPointer = POINTER_TO_QUESTION + apexOffset;
  out.writeUInt16BE(apexPointer, offset);
  out.writeUInt16BE(RRType.SOA, offset + 2);
  out.writeUInt16BE(CLASS_IN, offset + 4);
  out.writeUInt32BE(ttl, offset + 6);
  out.writeUInt16BE(SOA_RECORD_LENGTH - 12, offset + 10);
  out.writeUInt16BE(apexPointer, offset + 12); // MNAME: the apex itself
  let at = offset + 14;
  out.set(HOSTMASTER, at); // RNAME: hostmaster.<apex>
  at += HOSTMASTER.length;
  out.writeUInt16BE(apexPointer, at);
  at += 2;
  out.writeUInt32BE(soa.serial >>> 0, at);
  out.writeUInt32BE(soa.refresh, at + 4);
  out.writeUInt32BE(soa.retry, at + 8);
  out.writeUInt32BE(soa.expire, at + 12);
  out.writeUInt32BE(soa.minimum, at + 16);
  return at + 20;
}

/**
 * How IPv4 addresses sit inside the NAT64 prefix (RFC 6052 §2.2): the prefix's 16 bytes, and
 * the byte positions of the four IPv4 octets (they skip the "u" octet, byte 8).
 */
export interface EmbeddingTemplate {
  readonly base: Uint8Array;
  readonly octetOffsets: readonly [number, number, number, number];
}

export interface AnswerShape {
  readonly rcode: number;
  /** AAAA records to write, one per IPv4 embedded with the template; owner = the question. */
  readonly aaaa?: { readonly template: EmbeddingTemplate; readonly ipv4s: readonly number[] };
  /** TTL written into every answer record (patched over whatever the records hold). */
  readonly answerTtl?: number;
  /** Answer the apex SOA (qtype SOA at the apex). */
  readonly soaAnswer?: boolean;
  /** Answer the apex NS (qtype NS at the apex). */
  readonly nsAnswer?: boolean;
  /** SOA in the authority section (negative answers), with this TTL. */
  readonly authoritySoaTtl?: number;
}

/** Encodes an authoritative answer; sets TC and drops the records when over `limit` octets. */
export function encodeAnswer(
  message: Uint8Array,
  query: ParsedQuery,
  apexOffset: number,
  soa: SoaTimers,
  shape: AnswerShape,
  limit: number,
): Buffer {
  const questionLength = query.questionEnd - HEADER_LENGTH;
  const aaaaCount = shape.aaaa?.ipv4s.length ?? 0;
  const answerCount = aaaaCount + (shape.soaAnswer ? 1 : 0) + (shape.nsAnswer ? 1 : 0);
  const authorityCount = shape.authoritySoaTtl === undefined ? 0 : 1;
  const size =
    HEADER_LENGTH +
    questionLength +
    aaaaCount * AAAA_RECORD_LENGTH +
    (shape.soaAnswer ? SOA_RECORD_LENGTH : 0) +
    (shape.nsAnswer ? NS_RECORD_LENGTH : 0) +
    authorityCount * SOA_RECORD_LENGTH +
    (query.edns ? OPT_RECORD_LENGTH : 0);
  if (size > limit) {
    return encodeBare(message, query, shape.rcode, {
      withQuestion: true,
      truncated: true,
      authoritative: true,
    });
  }
  const out = Buffer.allocUnsafe(size);
  writeHeader(
    out,
    query.id,
    answerFlags(query, shape.rcode, true),
    1,
    answerCount,
    authorityCount,
    query.edns ? 1 : 0,
  );
  out.set(message.subarray(HEADER_LENGTH, query.questionEnd), HEADER_LENGTH);
  let offset = HEADER_LENGTH + questionLength;
  const ttl = shape.answerTtl ?? 0;
  if (shape.aaaa)
    offset = writeAaaaRecords(out, offset, shape.aaaa.template, shape.aaaa.ipv4s, ttl);
  if (shape.soaAnswer) offset = writeSoa(out, offset, apexOffset, ttl, soa);
  if (shape.nsAnswer) {
    const apexPointer = POINTER_TO_QUESTION + apexOffset;
    out.writeUInt16BE(apexPointer, offset);
    out.writeUInt16BE(RRType.NS, offset + 2);
    out.writeUInt16BE(CLASS_IN, offset + 4);
    out.writeUInt32BE(ttl, offset + 6);
    out.writeUInt16BE(2, offset + 10);
    out.writeUInt16BE(apexPointer, offset + 12);
    offset += NS_RECORD_LENGTH;
  }
  if (shape.authoritySoaTtl !== undefined) {
    offset = writeSoa(out, offset, apexOffset, shape.authoritySoaTtl, soa);
  }
  if (query.edns) writeOpt(out, offset, shape.rcode);
  return out;
}

function writeAaaaRecords(
  out: Buffer,
  start: number,
  template: EmbeddingTemplate,
  ipv4s: readonly number[],
  ttl: number,
): number {
  const [o0, o1, o2, o3] = template.octetOffsets;
  let at = start;
  for (const ipv4 of ipv4s) {
    out.writeUInt16BE(POINTER_TO_QUESTION, at);
    out.writeUInt16BE(RRType.AAAA, at + 2);
    out.writeUInt16BE(CLASS_IN, at + 4);
    out.writeUInt32BE(ttl, at + 6);
    out.writeUInt16BE(16, at + 10);
    const address = at + 12;
    out.set(template.base, address);
    out[address + o0] = ipv4 >>> 24;
    out[address + o1] = (ipv4 >>> 16) & 0xff;
    out[address + o2] = (ipv4 >>> 8) & 0xff;
    out[address + o3] = ipv4 & 0xff;
    at += AAAA_RECORD_LENGTH;
  }
  return at;
}

// ---------------------------------------------------------------------------------------------
// Upstream queries

/** A recursive query for `key` (wire-form name) with EDNS advertising our UDP payload. */
export function encodeUpstreamQuery(id: number, key: string, qtype: number): Buffer {
  const nameLength = Buffer.byteLength(key, "latin1");
  const out = Buffer.allocUnsafe(HEADER_LENGTH + nameLength + 4 + OPT_RECORD_LENGTH);
  writeHeader(out, id, Flag.RD, 1, 0, 0, 1);
  out.write(key, HEADER_LENGTH, nameLength, "latin1");
  let offset = HEADER_LENGTH + nameLength;
  out.writeUInt16BE(qtype, offset);
  out.writeUInt16BE(CLASS_IN, offset + 2);
  offset += 4;
  writeOpt(out, offset, 0);
  return out;
}
