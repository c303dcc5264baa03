// DNS over TCP on one listen address (RFC 7766): length-prefixed messages, several queries
// per connection answered as they complete (pipelining). Every connection is bounded in what
// it may make us hold (docs/security.md): unanswered queries, unsent answer bytes, time to
// finish a query, idle time and lifetime; connections are capped in total and per source, and
// sources outside `allowFrom` are closed at accept.
import { createServer, type Server, type Socket } from "node:net";
import type { HostPort } from "../../core/index.ts";
import type { QueryHandler } from "./handler.ts";
import type { TcpCloseReason } from "./metrics.ts";

export interface TcpLimits {
  /** RFC 7766 §6.2.3: close a connection with nothing asked or answered for this long. */
  readonly idleTimeoutMs: number;
  /** A query must arrive complete within this long of its first byte (slow trickling). */
  readonly queryTimeoutMs: number;
  /** After this long a connection takes no new queries; it closes once the asked are answered. */
  readonly lifetimeMs: number;
  /** Connections beyond this are closed at once. */
  readonly maxConnections: number;
  /** Connections from one source address beyond this are closed at once. */
  readonly maxConnectionsPerSource: number;
  /** Unanswered queries per connection before we stop reading from it. */
  readonly maxInFlightPerConnection: number;
  /** Answer bytes waiting for a client that does not read, before we stop reading from it. */
  readonly maxUnsentBytes: number;
  /** Close a connection whose unsent answers stay over maxUnsentBytes this long. */
  readonly unsentTimeoutMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  idleTimeoutMs: 10_000,
  queryTimeoutMs: 5_000,
  lifetimeMs: 120_000,
  maxConnections: 512,
  maxConnectionsPerSource: 16,
  maxInFlightPerConnection: 64,
  maxUnsentBytes: 64 * 1024,
  unsentTimeoutMs: 5_000,
};

const FRAME_PREFIX = 2;
/** Deadlines are checked at least this often (new ones may appear between timer runs). */
const MAX_CHECK_INTERVAL_MS = 1000;

interface Deadline {
  readonly reason: TcpCloseReason;
  readonly at: number;
}

/** One client connection: its input buffer, its counters and its deadlines. */
class TcpConnection {
  private readonly socket: Socket;
  private readonly source: string;
  private readonly handler: QueryHandler;
  private readonly limits: () => TcpLimits;
  private readonly onClose: (reason: TcpCloseReason) => void;
  private input: Buffer = Buffer.alloc(0);
  private inFlight = 0;
  private readonly openedAt = Date.now();
  /** Last complete query received or answer written. */
  private activeAt = this.openedAt;
  /** When the first byte of the incomplete query in `input` came in (0: none). */
  private frameStartedAt = 0;
  /** Since when unsent answers exceed the bound (0: they do not). */
  private unsentSince = 0;
  /** The client sent FIN: answer what it asked (buffered queries included), then close. */
  private readEnded = false;
  /** Past its lifetime: nothing more is read; close once the asked queries are answered. */
  private retired = false;
  /** When we sent our FIN (0: not yet); a client that never takes the answers is cut off. */
  private endedAt = 0;
  private counted = false;
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly respondBound = (answer: Buffer) => this.respond(answer);

  constructor(
    socket: Socket,
    source: string,
    handler: QueryHandler,
    limits: () => TcpLimits,
    onClose: (reason: TcpCloseReason) => void,
  ) {
    this.socket = socket;
    this.source = source;
    this.handler = handler;
    this.limits = limits;
    this.onClose = onClose;
    socket.on("data", (chunk: Buffer) => {
      if (this.retired) return;
      this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
      if (this.frameStartedAt === 0) this.frameStartedAt = Date.now();
      this.drain();
    });
    socket.on("drain", () => this.drain());
    socket.on("end", () => {
      this.readEnded = true;
      this.drain();
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => clearTimeout(this.timer));
    this.schedule();
  }

  /** Reads complete queries while the bounds allow it; pauses the socket when they do not. */
  private drain(): void {
    if (this.draining || this.socket.destroyed) return;
    this.draining = true;
    const limits = this.limits();
    while (!this.retired && this.input.length >= FRAME_PREFIX) {
      if (this.inFlight >= limits.maxInFlightPerConnection) break;
      if (this.socket.writableLength > limits.maxUnsentBytes) break;
      const length = this.input.readUInt16BE(0);
      if (this.input.length < FRAME_PREFIX + length) break;
      const message = this.input.subarray(FRAME_PREFIX, FRAME_PREFIX + length);
      this.input = this.input.subarray(FRAME_PREFIX + length);
      const now = Date.now();
      this.frameStartedAt = this.input.length ? now : 0;
      this.activeAt = now;
      this.inFlight++;
      // Dropped queries (malformed, rate-limited) get no answer: free their slot at once.
      if (!this.handler.handle(message, this.source, "tcp", this.respondBound)) this.inFlight--;
      if (this.socket.destroyed) break;
    }
    this.draining = false;
    this.updateFlow(limits);
    this.finishIfDone();
  }

  private respond(answer: Buffer): void {
    this.inFlight--;
    if (this.socket.destroyed || !this.socket.writable) return;
    const framed = Buffer.allocUnsafe(FRAME_PREFIX + answer.length);
    framed.writeUInt16BE(answer.length, 0);
    answer.copy(framed, FRAME_PREFIX);
    this.socket.write(framed);
    this.activeAt = Date.now();
    // Inside drain() (an answer given synchronously) the loop re-checks the bounds itself.
    if (!this.draining) this.drain();
  }

  /** Reading pauses while a bound is reached and resumes after it clears. */
  private updateFlow(limits: TcpLimits): void {
    const unsent = this.socket.writableLength > limits.maxUnsentBytes;
    if (!unsent) this.unsentSince = 0;
    else if (this.unsentSince === 0) this.unsentSince = Date.now();
    const held = unsent || this.inFlight >= limits.maxInFlightPerConnection || this.retired;
    if (held && !this.socket.isPaused()) this.socket.pause();
    else if (!held && this.socket.isPaused()) {
      // Time we did not read does not count against the client's query deadline.
      if (this.input.length) this.frameStartedAt = Date.now();
      this.socket.resume();
    }
  }

  /** After FIN or retirement, with every asked query answered: send ours and free the slot. */
  private finishIfDone(): void {
    if (this.endedAt !== 0 || this.socket.destroyed || this.inFlight > 0) return;
    if (!this.retired && !this.readEnded) return;
    if (this.readEnded && !this.retired && this.hasCompleteFrame()) return;
    this.endedAt = Date.now();
    // end() hands what is queued to the kernel; destroy() then frees the slot at once.
    if (this.socket.writable) this.socket.end(() => this.socket.destroy());
    else this.socket.destroy();
  }

  private hasCompleteFrame(): boolean {
    return (
      this.input.length >= FRAME_PREFIX &&
      this.input.length >= FRAME_PREFIX + this.input.readUInt16BE(0)
    );
  }

  /** One timer per connection, armed for the nearest deadline, at most a second ahead. */
  private schedule(): void {
    const now = Date.now();
    const soonest = this.nextDeadline(this.limits());
    if (soonest.at <= now) {
      this.expire(soonest.reason);
      if (this.socket.destroyed) return;
    }
    const wait = Math.min(Math.max(soonest.at - now, 10), MAX_CHECK_INTERVAL_MS);
    this.timer = setTimeout(() => this.schedule(), wait);
    this.timer.unref();
  }

  private nextDeadline(limits: TcpLimits): Deadline {
    const deadlines: Deadline[] = [];
    if (!this.retired)
      deadlines.push({ reason: "lifetime", at: this.openedAt + limits.lifetimeMs });
    // Idle: nothing asked and waiting; answers the client does not take do not keep it open.
    if (this.inFlight === 0) {
      deadlines.push({ reason: "idle", at: this.activeAt + limits.idleTimeoutMs });
    }
    if (this.endedAt !== 0) {
      deadlines.push({ reason: "unsent", at: this.endedAt + limits.unsentTimeoutMs });
    }
    if (this.frameStartedAt !== 0 && !this.socket.isPaused()) {
      deadlines.push({ reason: "query_timeout", at: this.frameStartedAt + limits.queryTimeoutMs });
    }
    if (this.unsentSince !== 0) {
      deadlines.push({ reason: "unsent", at: this.unsentSince + limits.unsentTimeoutMs });
    }
    let soonest: Deadline = { reason: "idle", at: Number.POSITIVE_INFINITY };
    for (const deadline of deadlines) if (deadline.at < soonest.at) soonest = deadline;
    return soonest;
  }

  private expire(reason: TcpCloseReason): void {
    if (reason === "lifetime") {
      this.count(reason);
      this.retired = true;
      this.input = Buffer.alloc(0);
      this.frameStartedAt = 0;
      this.updateFlow(this.limits());
      this.finishIfDone();
      return;
    }
    this.count(reason);
    this.socket.destroy();
  }

  /** Each connection is counted once, under the first limit that ended it. */
  private count(reason: TcpCloseReason): void {
    if (this.counted) return;
    this.counted = true;
    this.onClose(reason);
  }
}

export class TcpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly perSource = new Map<string, number>();
  /** Read at every decision, so a reload changes them for open connections too. */
  limits: TcpLimits;

  private constructor(server: Server, limits: TcpLimits) {
    this.server = server;
    this.limits = limits;
  }

  static open(
    address: HostPort,
    handler: QueryHandler,
    limits: TcpLimits = DEFAULT_TCP_LIMITS,
    reusePort = false,
  ): Promise<TcpListener> {
    const server = createServer({ noDelay: true, allowHalfOpen: true, pauseOnConnect: true });
    const listener = new TcpListener(server, limits);
    server.on("connection", (socket) => listener.accept(socket, handler));
    server.on("error", () => {});
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(
        { host: address.host, port: address.port, ipv6Only: address.family === 6, reusePort },
        () => {
          server.off("error", reject);
          resolve(listener);
        },
      );
    });
  }

  get connections(): number {
    return this.sockets.size;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  /** Refusals happen before the socket is read from or counted as a slot. */
  private accept(socket: Socket, handler: QueryHandler): void {
    const source = socket.remoteAddress ?? "";
    const limits = this.limits;
    const refused = !handler.settings.access.allows(source)
      ? "source"
      : this.sockets.size >= limits.maxConnections
        ? "connection_cap"
        : (this.perSource.get(source) ?? 0) >= limits.maxConnectionsPerSource
          ? "source_cap"
          : undefined;
    if (refused) {
      handler.metrics.countTcpClosed(refused);
      socket.on("error", () => {});
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    socket.on("close", () => {
      this.sockets.delete(socket);
      const left = (this.perSource.get(source) ?? 1) - 1;
      if (left > 0) this.perSource.set(source, left);
      else this.perSource.delete(source);
    });
    new TcpConnection(
      socket,
      source,
      handler,
      () => this.limits,
      (reason) => handler.metrics.countTcpClosed(reason),
    );
    socket.resume();
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
