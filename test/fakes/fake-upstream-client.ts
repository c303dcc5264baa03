// An in-memory UpstreamClient: answers from a table of real names, counts queries, and can be
// told to hang or fail, for resolver and handler tests without sockets.
import dnsPacket from "dns-packet";
import type { UpstreamClient, UpstreamResult } from "../../src/relay-agent/dns/upstream.ts";
import { readUpstreamReply } from "../../src/relay-agent/dns/upstream-answer.ts";
import { keyToName } from "../../src/relay-agent/dns/wire.ts";

export interface FakeRecord {
  readonly type: "A" | "CNAME" | "AAAA";
  readonly data: string;
  readonly ttl?: number;
}

export class FakeUpstreamClient implements UpstreamClient {
  /** Records by real name (dotted, lower case). Names absent here are NXDOMAIN. */
  readonly zone = new Map<string, FakeRecord[]>();
  /** Names asked, in order (dotted). */
  readonly asked: string[] = [];
  /** When set, every query fails after this many milliseconds (a dead upstream). */
  failAfterMs: number | undefined;
  /** Extra latency before answering (ms). */
  delayMs = 0;
  closed = false;

  set(name: string, records: FakeRecord[]): this {
    this.zone.set(name, records);
    return this;
  }

  async query(key: string, qtype: number): Promise<UpstreamResult> {
    const name = keyToName(key);
    this.asked.push(name);
    if (this.failAfterMs !== undefined) {
      await sleep(this.failAfterMs);
      return { ok: false, reason: "fake upstream is down" };
    }
    if (this.delayMs) await sleep(this.delayMs);
    const records = this.zone.get(name);
    const answers: dnsPacket.Answer[] = [];
    let current = name;
    // Behave like a recursive resolver: follow CNAMEs that the table can resolve.
    for (let hop = 0; hop < 10; hop++) {
      const here = this.zone.get(current);
      if (!here) break;
      const cname = here.find((record) => record.type === "CNAME");
      for (const record of here) {
        if (record.type === "A" || record.type === "CNAME") {
          answers.push({
            type: record.type,
            name: current,
            ttl: record.ttl ?? 300,
            data: record.data,
          } as dnsPacket.Answer);
        }
      }
      if (!cname) break;
      current = cname.data;
    }
    const message = dnsPacket.encode({
      type: "response",
      id: 7,
      flags: records ? 0 : 3,
      questions: [{ type: "A", name }],
      answers,
      authorities: [
        {
          type: "SOA",
          name: "fake",
          ttl: 120,
          data: {
            mname: "ns.fake",
            rname: "h.fake",
            serial: 1,
            refresh: 1,
            retry: 1,
            expire: 1,
            minimum: 60,
          },
        },
      ].slice(0, answers.some((answer) => answer.type === "A") ? 0 : 1) as dnsPacket.Answer[],
    });
    const reply = readUpstreamReply(message, 7, key, qtype);
    if (reply.kind !== "answer") return { ok: false, reason: `fake reply was ${reply.kind}` };
    return { ok: true, reply };
  }

  close(): void {
    this.closed = true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
