// The Tailscale API fake behind a real HTTP server on 127.0.0.1 (random port), for tests that
// run the API as a separate process with TAILSCALE_API_BASE_URL pointing here.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeTailscaleApi } from "./tailscale-api.ts";

export interface FakeTailscaleServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `inspect: true` also answers GET /__fake/state with {devices, splitDns}: how a test in another
 * process (the e2e lab) sees what the API did to the tailnet.
 */
export async function serveFakeTailscale(
  fake: FakeTailscaleApi,
  options: { host?: string; port?: number; inspect?: boolean } = {},
): Promise<FakeTailscaleServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(async (req, res) => {
    if (options.inspect && req.method === "GET" && req.url === "/__fake/state") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ devices: fake.devices, splitDns: fake.splitDns }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(key, value);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const response = await fake.fetch(`http://127.0.0.1${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
