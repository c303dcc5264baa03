// A minimal DNS client for doctor: one question over UDP or TCP, with a timeout. Doctor must
// see exactly what a client sees, so it speaks the wire protocol itself.

import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import * as dnsPacket from "dns-packet";

export interface DnsRecord {
  readonly type: string;
  readonly name: string;
  readonly data: string;
}

export type DnsProbeResult =
  | {
      readonly ok: true;
      readonly rcode: string;
      readonly answers: readonly DnsRecord[];
      readonly truncated: boolean;
    }
  | { readonly ok: false; readonly error: "timeout" | "network"; readonly message: string };

export interface DnsProbe {
  readonly server: string;
  readonly port?: number;
  readonly name: string;
  readonly type: "AAAA" | "A" | "SOA";
  readonly transport: "udp" | "tcp";
  readonly timeoutMs?: number;
}

function toRecord(answer: dnsPacket.Answer): DnsRecord {
  const data = (answer as { data?: unknown }).data;
  return {
    type: answer.type,
    name: answer.name,
    data: typeof data === "string" ? data : JSON.stringify(data),
  };
}

function decode(buffer: Buffer): DnsProbeResult {
  // dns-packet decodes the rcode but its types leave it out.
  const packet = dnsPacket.decode(buffer) as dnsPacket.DecodedPacket & { rcode?: string };
  return {
    ok: true,
    rcode: packet.rcode ?? "NOERROR",
    answers: (packet.answers ?? []).map(toRecord),
    truncated: ((packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0,
  };
}

export function queryDns(probe: DnsProbe): Promise<DnsProbeResult> {
  const id = randomInt(0, 65536);
  const query: dnsPacket.Packet = {
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: probe.type, name: probe.name }],
  };
  const port = probe.port ?? 53;
  const timeoutMs = probe.timeoutMs ?? 2000;
  return new Promise((resolve) => {
    let settled = false;
    const cleanups: Array<() => void> = [];
    const finish = (result: DnsProbeResult) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: "timeout", message: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    cleanups.push(() => clearTimeout(timer));
    const fail = (error: Error) => finish({ ok: false, error: "network", message: error.message });
    if (probe.transport === "udp") {
      const socket = createSocket(probe.server.includes(":") ? "udp6" : "udp4");
      cleanups.push(() => socket.close());
      socket.on("error", fail);
      socket.on("message", (message) => {
        if (message.readUInt16BE(0) !== id) return;
        try {
          finish(decode(message));
        } catch (error) {
          fail(error as Error);
        }
      });
      socket.send(dnsPacket.encode(query), port, probe.server, (error) => error && fail(error));
      return;
    }
    const socket = connect({ host: probe.server, port });
    cleanups.push(() => socket.destroy());
    let received = Buffer.alloc(0);
    socket.on("error", fail);
    socket.on("connect", () => socket.write(dnsPacket.streamEncode(query)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      try {
        finish(decode(received.subarray(2, 2 + received.readUInt16BE(0))));
      } catch (error) {
        fail(error as Error);
      }
    });
  });
}
