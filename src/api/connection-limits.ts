// Bounds on the Node server's connections (docs/security.md, "Control API"). Node closes a
// silent fresh connection on its own only through `server.timeout`, which would also cut a
// long poll (GET /v1/agent/config?wait=) waiting for its answer; so a connection is timed
// only while no request is in flight: before its first request and between keep-alive ones.
import type { Server } from "node:http";

export interface ConnectionLimits {
  /** Connections open at once; Node closes further ones as they arrive. */
  readonly maxConnections: number;
  /** Connections one source address may hold at once; further ones are closed as they arrive. */
  readonly maxConnectionsPerSource: number;
  /** A connection with no request in flight and no bytes for this long is closed. */
  readonly idleTimeoutMs: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.headersTimeout = limits.idleTimeoutMs;
  // The whole request (headers and body, at most MAX_BODY_BYTES) must arrive within this.
  server.requestTimeout = Math.max(2 * limits.idleTimeoutMs, 60_000);
  const perSource = new Map<string, number>();
  server.on("connection", (socket) => {
    // One source cannot take every slot: the others (and /healthz probes) still get in.
    const source = socket.remoteAddress ?? "";
    const held = perSource.get(source) ?? 0;
    if (held >= limits.maxConnectionsPerSource) {
      socket.destroy();
      return;
    }
    perSource.set(source, held + 1);
    socket.once("close", () => {
      const left = (perSource.get(source) ?? 1) - 1;
      if (left > 0) perSource.set(source, left);
      else perSource.delete(source);
    });
    // http's own 'timeout' listener destroys a socket whose timeout nobody handles.
    socket.setTimeout(limits.idleTimeoutMs);
  });
  server.on("request", (request, response) => {
    const socket = request.socket;
    socket.setTimeout(0);
    response.once("close", () => {
      if (!socket.destroyed) socket.setTimeout(limits.idleTimeoutMs);
    });
  });
}
