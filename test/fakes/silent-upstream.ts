// An upstream address that never answers: a bound UDP socket (and TCP listener) that swallows
// every query, for timeout and serve-stale tests.
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";

export class SilentUpstream {
  private readonly udp: Socket;
  private readonly tcp: Server;
  readonly host: string;
  received = 0;

  private constructor(host: string, udp: Socket, tcp: Server) {
    this.host = host;
    this.udp = udp;
    this.tcp = tcp;
    udp.on("message", () => {
      this.received++;
    });
  }

  static async start(host = "127.0.0.1"): Promise<SilentUpstream> {
    const udp = createSocket("udp4");
    await new Promise<void>((resolve) => udp.bind(0, host, () => resolve()));
    const tcp = createServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => tcp.listen(udp.address().port, host, () => resolve()));
    return new SilentUpstream(host, udp, tcp);
  }

  get port(): number {
    return this.udp.address().port;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }
}
