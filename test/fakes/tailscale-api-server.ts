// The Tailscale API fake behind a real HTTP server on 127.0.0.1 (random port), for tests that
// run the API as a separate process with TAILSCALE_API_BASE_URL pointing here.
import { type FetchServer, serveFetch } from "./fetch-server.ts";
import type { FakeTailscaleApi } from "./tailscale-api.ts";

export type FakeTailscaleServer = FetchServer;

/**
 * `inspect: true` also answers GET /__fake/state with {devices, splitDns}: how a test in another
 * process (the e2e lab) sees what the API did to the tailnet.
 */
export function serveFakeTailscale(
  fake: FakeTailscaleApi,
  options: { host?: string; port?: number; inspect?: boolean } = {},
): Promise<FakeTailscaleServer> {
  return serveFetch(
    async (input, init) => {
      const url = new URL(input);
      if (
        options.inspect &&
        (init.method ?? "GET") === "GET" &&
        url.pathname === "/__fake/state" &&
        url.search === ""
      ) {
        return Response.json({ devices: fake.devices, splitDns: fake.splitDns });
      }
      return fake.fetch(input, init);
    },
    {
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
    },
  );
}
