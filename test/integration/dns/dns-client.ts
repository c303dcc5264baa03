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
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${answers.length}/${messages.length} TCP answers in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("connect", () => {
      socket.write(
        Buffer.concat(
          messages.map((message) => {
            const framed = Buffer.alloc(2 + message.length);
            framed.writeUInt16BE(message.length, 0);
            message.copy(framed, 2);
            return framed;
          }),
        ),
      );
    });
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        answers.push(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
      }
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
