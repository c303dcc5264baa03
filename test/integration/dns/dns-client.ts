// A small DNS client for the tests: one query over UDP, or several pipelined over one TCP
// connection, decoded with dns-packet so assertions read every section.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import dnsPacket from "dns-packet";

export interface Ask {
  readonly name: string;
  readonly type: dnsPacket.RecordType;
  readonly id?: number;
  /** Adds an OPT record with this UDP payload size; omitted: no EDNS. */
  readonly udpPayload?: number;
}

export function encodeAsk(ask: Ask, id: number): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: ask.type, name: ask.name }],
    additionals:
      ask.udpPayload === undefined
        ? []
        : [
            {
              type: "OPT",
              name: ".",
              udpPayloadSize: ask.udpPayload,
              flags: 0,
              options: [],
            } as unknown as dnsPacket.Answer,
          ],
  });
}

/** A message with its RFC 7766 length prefix; `length` may lie (for framing tests). */
export function frame(message: Buffer, length = message.length): Buffer {
  const framed = Buffer.alloc(2 + message.length);
  framed.writeUInt16BE(length, 0);
  message.copy(framed, 2);
  return framed;
}

/** Moves every complete length-prefixed message of `buffered` into `out`; returns the rest. */
export function takeFrames(buffered: Buffer, out: Buffer[]): Buffer {
  let rest = buffered;
  while (rest.length >= 2 && rest.length >= 2 + rest.readUInt16BE(0)) {
    const length = rest.readUInt16BE(0);
    out.push(rest.subarray(2, 2 + length));
    rest = rest.subarray(2 + length);
  }
  return rest;
}

let nextId = 1;

export function udpExchange(
  host: string,
  port: number,
  message: Buffer,
  timeoutMs = 3000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer from ${host}:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("message", (answer) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    });
    socket.send(message, port, host);
  });
}

export async function udpQuery(host: string, port: number, ask: Ask, timeoutMs = 3000) {
  const id = ask.id ?? nextId++ & 0xffff;
  const raw = await udpExchange(host, port, encodeAsk(ask, id), timeoutMs);
  return { raw, packet: dnsPacket.decode(raw) };
}

/** Sends every message in one write and collects as many length-prefixed answers. */
export function tcpExchange(
  host: string,
  port: number,
  messages: Buffer[],
  timeoutMs = 3000,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const answers: Buffer[] = [];
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${answers.length}/${messages.length} TCP answers in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("connect", () => {
      socket.write(Buffer.concat(messages.map((message) => frame(message))));
    });
    socket.on("data", (chunk) => {
      buffered = takeFrames(Buffer.concat([buffered, chunk]), answers);
      if (answers.length === messages.length) {
        clearTimeout(timer);
        socket.end();
        resolve(answers);
      }
    });
  });
}

export async function tcpQuery(host: string, port: number, ask: Ask, timeoutMs = 3000) {
  const id = ask.id ?? nextId++ & 0xffff;
  const [raw] = await tcpExchange(host, port, [encodeAsk(ask, id)], timeoutMs);
  return { raw: raw!, packet: dnsPacket.decode(raw!) };
}

/** A decoded record with the fields the tests read (dns-packet's union hides ttl/data on OPT). */
export interface Rr {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly data?: unknown;
}

export function rrs(records: readonly dnsPacket.Answer[] | undefined): Rr[] {
  return (records ?? []) as unknown as Rr[];
}
