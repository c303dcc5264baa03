// DNS over TCP on one listen address (RFC 7766): length-prefixed messages, several queries
// per connection answered as they complete (pipelining), an idle timeout, a connection cap.
import { createServer, type Server, type Socket } from "node:net";
import type { HostPort } from "../../core/index.ts";
import type { QueryHandler } from "./handler.ts";

export interface TcpLimits {
  /** RFC 7766 §6.2.3: close connections idle this long. */
  readonly idleTimeoutMs: number;
  /** Connections beyond this are closed at once. */
  readonly maxConnections: number;
  /** Unanswered queries per connection before we stop reading from it. */
  readonly maxInFlightPerConnection: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  idleTimeoutMs: 10_000,
  maxConnections: 512,
  maxInFlightPerConnection: 64,
};

export class TcpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
  }

  static open(
    address: HostPort,
    handler: QueryHandler,
    limits: TcpLimits = DEFAULT_TCP_LIMITS,
    reusePort = false,
  ): Promise<TcpListener> {
    const server = createServer({ noDelay: true });
    server.maxConnections = limits.maxConnections;
    const listener = new TcpListener(server);
    server.on("connection", (socket) => listener.serve(socket, handler, limits));
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

  private serve(socket: Socket, handler: QueryHandler, limits: TcpLimits): void {
    this.sockets.add(socket);
    const source = socket.remoteAddress ?? "";
    let buffered: Buffer = Buffer.alloc(0);
    let inFlight = 0;
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    const respond = (answer: Buffer) => {
      inFlight--;
      if (socket.destroyed) return;
      const framed = Buffer.allocUnsafe(2 + answer.length);
      framed.writeUInt16BE(answer.length, 0);
      answer.copy(framed, 2);
      socket.write(framed);
      if (socket.isPaused() && inFlight < limits.maxInFlightPerConnection) socket.resume();
    };
    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        inFlight++;
        // Dropped queries (malformed, rate-limited) get no answer: free their slot at once.
        if (!handler.handle(message, source, "tcp", respond)) inFlight--;
      }
      if (inFlight >= limits.maxInFlightPerConnection) socket.pause();
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
