// Serves the Prometheus exposition on `metricsListen` (GET /metrics).
import { createServer, type Server } from "node:http";
import type { HostPort } from "../../core/index.ts";

export class MetricsHttpServer {
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static open(address: HostPort, render: () => Promise<string>): Promise<MetricsHttpServer> {
    const server = createServer((request, response) => {
      if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
        response.writeHead(404).end("only GET /metrics here\n");
        return;
      }
      render().then(
        (text) => {
          response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(text);
        },
        () => response.writeHead(500).end("metrics failed\n"),
      );
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address.host, port: address.port }, () => {
        server.off("error", reject);
        resolve(new MetricsHttpServer(server));
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
