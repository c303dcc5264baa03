// The TCP attacks of docs/security.md as a load for the benchmark: one client that pipelines
// queries and never reads the answers, and many connections that trickle one byte a second.
// Whatever the server closes is reopened, so the pressure lasts the whole phase. Bounded in
// time (stop() or `maxMs`) and in connections; loopback only.
import { connect, type Socket } from "node:net";
import { encodeAsk, frame } from "../../test/integration/dns/dns-client.ts";

export interface TcpAttackOptions {
  readonly host: string;
  readonly port: number;
  /** The split apex: its SOA is answered from memory, the cheapest answer to make. */
  readonly zone: string;
  readonly tricklers: number;
  /** Tricklers are spread over this many loopback sources (127.0.79.1, ...). */
  readonly sources: number;
  readonly maxMs: number;
}

export interface TcpAttack {
  /** Stops every loop and closes every socket; resolves with what was done. */
  stop(): Promise<{ pipelined: number; reopened: number }>;
}

export function startTcpAttack(options: TcpAttackOptions): TcpAttack {
  const until = Date.now() + options.maxMs;
  let stopped = false;
  let pipelined = 0;
  let reopened = 0;
  const sockets = new Set<Socket>();
  const live = () => !stopped && Date.now() < until;
  const batch = Buffer.concat(
    Array.from({ length: 1000 }, (_, id) =>
      frame(encodeAsk({ name: options.zone, type: "SOA" }, id)),
    ),
  );

  const open = (localAddress: string, onConnect: (socket: Socket) => void) => {
    const socket = connect({ host: options.host, port: options.port, localAddress });
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("connect", () => onConnect(socket));
    socket.once("close", () => {
      sockets.delete(socket);
      if (!live()) return;
      reopened++;
      // A short pause: a refused connection must not become a busy loop.
      setTimeout(() => live() && open(localAddress, onConnect), 100).unref();
    });
  };

  // The non-reading client: writes while its socket takes more, never reads.
  open("127.0.0.1", (socket) => {
    socket.pause();
    const pump = () => {
      if (!live() || socket.destroyed) return;
      if (!socket.writableNeedDrain) {
        socket.write(batch);
        pipelined += 1000;
      }
      setTimeout(pump, socket.writableNeedDrain ? 50 : 1).unref();
    };
    pump();
  });

  // The tricklers: a 40-byte query announced, then one byte of it a second.
  const trickle = (socket: Socket) => {
    socket.on("data", () => {});
    socket.write(Buffer.from([0, 40]));
    const timer = setInterval(() => {
      if (!live() || socket.destroyed) clearInterval(timer);
      else socket.write(Buffer.from([0]));
    }, 1000);
    timer.unref();
  };
  for (let index = 0; index < options.tricklers; index++) {
    open(`127.0.79.${(index % options.sources) + 1}`, trickle);
  }

  return {
    async stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      return { pipelined, reopened };
    },
  };
}
