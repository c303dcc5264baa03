// Asking the upstream resolvers (config `upstreams`): the interface the resolver depends on,
// and the real client over UDP with TCP fallback.
import { randomFillSync } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { formatHostPort, type HostPort } from "../../core/host-port.ts";
import { readUpstreamReply, type UpstreamReply } from "./upstream-answer.ts";
import { encodeUpstreamQuery } from "./wire.ts";

export type AnswerReply = Extract<UpstreamReply, { kind: "answer" }>;
export type UpstreamResult = { ok: true; reply: AnswerReply } | { ok: false; reason: string };

export interface UpstreamClient {
  /** Asks the upstreams in order, each try bounded by the timeout; the first answer wins. */
  query(key: string, qtype: number): Promise<UpstreamResult>;
  close(): void;
}

export type UpstreamTryOutcome = "answer" | "failure" | "timeout" | "truncated";
export type UpstreamTryObserver = (
  upstream: string,
  outcome: UpstreamTryOutcome,
  seconds: number,
) => void;

/** Random 16-bit message IDs from a refilled buffer of crypto randomness. */
class RandomIds {
  private readonly bytes = Buffer.alloc(4096);
  private offset = this.bytes.length;

  next(): number {
    if (this.offset + 2 > this.bytes.length) {
      randomFillSync(this.bytes);
      this.offset = 0;
    }
    const id = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return id;
  }
}

interface Pending {
  readonly key: string;
  readonly qtype: number;
  readonly host: string;
  readonly port: number;
  readonly resolve: (reply: UpstreamReply | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

/** Queries per socket before it is retired, so source ports keep changing. */
const USES_PER_SOCKET = 512;
const SOCKETS_PER_UPSTREAM = 4;

/**
 * One UDP socket on a random source port, connected to one upstream (the kernel then drops
 * datagrams from anywhere else and skips a route lookup per send), demultiplexing replies by
 * ID and question.
 */
class PooledSocket {
  readonly socket: Socket;
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  private settleReady: () => void = () => {};
  connected = false;
  uses = 0;
  private closed = false;
  /** Queries waiting for the end of this event-loop turn, sent together (see `enqueue`). */
  private outbox: { id: number; query: Buffer }[] = [];
  private readonly flushBound = () => this.flush();

  constructor(upstream: HostPort) {
    this.socket = createSocket({ type: upstream.family === 6 ? "udp6" : "udp4" });
    this.socket.on("message", (message, remote) => this.onMessage(message, remote));
    this.socket.on("error", () => this.close());
    // exclusive: in a cluster worker a shared handle would hand replies to other workers.
    this.ready = new Promise((resolve) => {
      this.settleReady = resolve;
      this.socket.bind({ port: 0, exclusive: true }, () => {
        if (this.closed) return;
        this.socket.connect(upstream.port, upstream.host, () => {
          this.connected = !this.closed;
          resolve();
        });
      });
    });
  }

  /**
   * Sends `query` once the event loop has handled every reply and client query that was ready:
   * the upstream is then woken once per burst rather than once per query (on a VM each wake-up
   * is an inter-processor interrupt). A failed send settles that query as unanswered.
   */
  enqueue(id: number, query: Buffer): void {
    if (this.outbox.length === 0) setImmediate(this.flushBound);
    this.outbox.push({ id, query });
  }

  private flush(): void {
    const outbox = this.outbox;
    this.outbox = [];
    for (const { id, query } of outbox) {
      if (this.closed) {
        this.settle(id, undefined);
        continue;
      }
      try {
        this.socket.send(query, (error) => {
          if (error) this.settle(id, undefined);
        });
      } catch {
        this.settle(id, undefined);
      }
    }
  }

  get retired(): boolean {
    return this.uses >= USES_PER_SOCKET || this.closed;
  }

  private onMessage(message: Buffer, remote: RemoteInfo): void {
    if (message.length < 2) return;
    const id = message.readUInt16BE(0);
    const pending = this.pending.get(id);
    // Anything not from the server we asked, or not about our question, is discarded.
    if (!pending || remote.port !== pending.port || remote.address !== pending.host) return;
    const reply = readUpstreamReply(message, id, pending.key, pending.qtype);
    if (reply.kind === "mismatch") return;
    this.settle(id, reply);
  }

  settle(id: number, reply: UpstreamReply | undefined): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    pending.resolve(reply);
    this.closeIfDrained();
  }

  closeIfDrained(): void {
    if (this.uses >= USES_PER_SOCKET && this.pending.size === 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.settleReady();
    this.failAll();
    this.socket.close();
  }

  private failAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined);
  }
}

export class DnsUpstreamClient implements UpstreamClient {
  private readonly upstreams: readonly HostPort[];
  /** formatHostPort of each upstream, computed once (metrics label and pool key). */
  private readonly labels: readonly string[];
  private readonly timeoutMs: number;
  private readonly observe: UpstreamTryObserver | undefined;
  private readonly ids = new RandomIds();
  /** Sockets per upstream (formatHostPort). */
  private readonly pools = new Map<string, PooledSocket[]>();
  private next = 0;
  private closed = false;

  constructor(options: {
    upstreams: readonly HostPort[];
    timeoutMs: number;
    observe?: UpstreamTryObserver;
  }) {
    this.upstreams = options.upstreams;
    this.labels = options.upstreams.map(formatHostPort);
    this.timeoutMs = options.timeoutMs;
    this.observe = options.observe;
  }

  async query(key: string, qtype: number): Promise<UpstreamResult> {
    const reasons: string[] = [];
    for (let index = 0; index < this.upstreams.length; index++) {
      if (this.closed) break;
      const upstream = this.upstreams[index]!;
      const label = this.labels[index]!;
      const started = performance.now();
      let reply = await this.overUdp(upstream, label, key, qtype);
      if (reply?.kind === "truncated") {
        this.observe?.(label, "truncated", (performance.now() - started) / 1000);
        reply = await this.overTcp(upstream, key, qtype);
      }
      const seconds = (performance.now() - started) / 1000;
      if (reply?.kind === "answer") {
        this.observe?.(label, "answer", seconds);
        return { ok: true, reply };
      }
      this.observe?.(label, reply ? "failure" : "timeout", seconds);
      reasons.push(
        `${label}: ${reply?.kind === "failure" ? `rcode ${reply.rcode}` : "no answer in time"}`,
      );
    }
    return { ok: false, reason: reasons.join("; ") || "client closed" };
  }

  private socketFor(upstream: HostPort, label: string): PooledSocket {
    let pool = this.pools.get(label);
    if (!pool) {
      pool = [];
      this.pools.set(label, pool);
    }
    for (let i = pool.length - 1; i >= 0; i--) {
      if (pool[i]!.retired) {
        pool[i]!.closeIfDrained();
        pool.splice(i, 1);
      }
    }
    if (pool.length < SOCKETS_PER_UPSTREAM) pool.push(new PooledSocket(upstream));
    this.next = (this.next + 1) % pool.length;
    return pool[this.next]!;
  }

  private async overUdp(
    upstream: HostPort,
    label: string,
    key: string,
    qtype: number,
  ): Promise<UpstreamReply | undefined> {
    const pooled = this.socketFor(upstream, label);
    if (!pooled.connected) await pooled.ready;
    if (!pooled.connected) return undefined; // closed before it could connect
    let id = this.ids.next();
    while (pooled.pending.has(id)) id = this.ids.next();
    pooled.uses++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => pooled.settle(id, undefined), this.timeoutMs);
      pooled.pending.set(id, {
        key,
        qtype,
        host: upstream.host,
        port: upstream.port,
        resolve,
        timer,
      });
      pooled.enqueue(id, encodeUpstreamQuery(id, key, qtype));
    });
  }

  private overTcp(
    upstream: HostPort,
    key: string,
    qtype: number,
  ): Promise<UpstreamReply | undefined> {
    const id = this.ids.next();
    const query = encodeUpstreamQuery(id, key, qtype);
    return new Promise((resolve) => {
      let buffered = Buffer.alloc(0);
      let done = false;
      const finish = (reply: UpstreamReply | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      };
      const socket = connect({ host: upstream.host, port: upstream.port });
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      socket.on("error", () => finish(undefined));
      socket.on("close", () => finish(undefined));
      socket.on("connect", () => {
        const framed = Buffer.allocUnsafe(2 + query.length);
        framed.writeUInt16BE(query.length, 0);
        query.copy(framed, 2);
        socket.write(framed);
      });
      socket.on("data", (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2) {
          const length = buffered.readUInt16BE(0);
          if (buffered.length < 2 + length) return;
          const reply = readUpstreamReply(buffered.subarray(2, 2 + length), id, key, qtype);
          buffered = buffered.subarray(2 + length);
          if (reply.kind !== "mismatch") return finish(reply);
        }
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) for (const pooled of pool) pooled.close();
  }
}
