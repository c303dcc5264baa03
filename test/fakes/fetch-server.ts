// Any in-process fetch handler (Request → Response) behind a real HTTP server (default
// 127.0.0.1, random port), for code that must dial a URL: a separate API process, Bolt's Web API client.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FetchServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveFetch(
  handler: (input: string, init: RequestInit) => Promise<Response>,
  options: { host?: string; port?: number } = {},
): Promise<FetchServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(key, value);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const response = await handler(`http://127.0.0.1${req.url}`, {
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
