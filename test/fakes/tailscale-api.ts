// A fake of Tailscale's API v2, faithful to docs/design.md, "Tailscale API" for the calls the
// reconciler makes:
// devices (fields=all adds the route fields), device routes (POST replaces the enabled list,
// routes may be enabled before they are advertised), split DNS (PATCH changes only the domains
// sent, null removes one, answers the full map; PUT replaces everything), OAuth client
// credentials, 401 on a wrong token, 404 on an unknown device, injected 429 (with Retry-After)
// and 5xx, and a record of every call. It is a fetch handler (Request → Response), so tests use
// it in-process (`fetch: fake.fetch`) or behind a loopback HTTP server (tailscale-api-server.ts).
import { parseIp } from "../../src/core/ip.ts";

export interface FakeDevice {
  id: string;
  nodeId: string;
  name: string;
  hostname: string;
  addresses: string[];
  advertisedRoutes: string[];
  enabledRoutes: string[];
  tags?: string[];
}

export interface RecordedCall {
  readonly method: string;
  /** Path below /api/v2, query included. */
  readonly path: string;
  readonly body: unknown;
  readonly status: number;
}

export interface Fault {
  status: number;
  retryAfterSeconds?: number;
  /** How many matching calls fail; default 1. */
  times?: number;
  /** Only calls whose "METHOD path" matches. */
  match?: RegExp;
}

export interface FakeTailscaleOptions {
  apiKeys?: string[];
  oauthClients?: { clientId: string; clientSecret: string }[];
  tailnet?: string;
  now?: () => number;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export class FakeTailscaleApi {
  readonly devices: FakeDevice[] = [];
  splitDns: Record<string, string[]> = {};
  readonly calls: RecordedCall[] = [];
  readonly faults: Fault[] = [];
  readonly apiKeys: Set<string>;
  readonly oauthClients: { clientId: string; clientSecret: string }[];
  readonly tailnet: string;
  readonly issuedTokens = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: FakeTailscaleOptions = {}) {
    this.apiKeys = new Set(options.apiKeys ?? ["tskey-api-test"]);
    this.oauthClients = options.oauthClients ?? [];
    this.tailnet = options.tailnet ?? "-";
    this.#now = options.now ?? Date.now;
  }

  addDevice(device: Partial<FakeDevice> & { nodeId: string; hostname: string }): FakeDevice {
    const full: FakeDevice = {
      id: device.id ?? String(1000 + this.devices.length),
      name: device.name ?? `${device.hostname}.tail1234.ts.net`,
      addresses: device.addresses ?? [`100.64.0.${this.devices.length + 1}`],
      advertisedRoutes: device.advertisedRoutes ?? [],
      enabledRoutes: device.enabledRoutes ?? [],
      ...device,
    };
    this.devices.push(full);
    return full;
  }

  /** Makes matching calls fail: e.g. {status: 429, retryAfterSeconds: 1, times: 5}. */
  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  callsMatching(method: string, pathPattern: RegExp): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && pathPattern.test(call.path));
  }

  /** The fetch handler; bind-free, so `fetch: fake.fetch` works. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const path = `${url.pathname.replace(/^\/api\/v2/, "")}${url.search}`;
    const text = request.method === "GET" ? "" : await request.text();
    let body: unknown = text;
    if (text && request.headers.get("content-type")?.includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const response = this.#handle(request, url, path, body);
    this.calls.push({ method: request.method, path, body, status: response.status });
    return response;
  };

  #handle(request: Request, url: URL, path: string, body: unknown): Response {
    const label = `${request.method} ${path}`;
    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && (!f.match || f.match.test(label)));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined
          ? {}
          : { "retry-after": String(fault.retryAfterSeconds) };
      return json(fault.status, { message: `injected ${fault.status}` }, headers);
    }
    if (!url.pathname.startsWith("/api/v2/")) return json(404, { message: "not found" });
    if (request.method === "POST" && url.pathname === "/api/v2/oauth/token") {
      return this.#oauthToken(typeof body === "string" ? body : "");
    }
    if (!this.#authorized(request.headers.get("authorization"))) {
      return json(401, { message: "API token invalid" });
    }
    const tailnet = `/tailnet/${encodeURIComponent(this.tailnet)}`;
    const route = url.pathname.replace(/^\/api\/v2/, "");
    if (request.method === "GET" && route === `${tailnet}/devices`) {
      const all = url.searchParams.get("fields") === "all";
      return json(200, {
        devices: this.devices.map((device) => {
          const { advertisedRoutes, enabledRoutes, ...rest } = device;
          return all
            ? { ...rest, advertisedRoutes, enabledRoutes, connectedToControl: true }
            : { ...rest, connectedToControl: true };
        }),
      });
    }
    const routes = /^\/device\/([^/]+)\/routes$/.exec(route);
    if (routes) {
      const id = decodeURIComponent(routes[1] ?? "");
      const device = this.devices.find((d) => d.id === id || d.nodeId === id);
      if (!device) return json(404, { message: "device not found" });
      if (request.method === "GET") return json(200, this.#routesOf(device));
      if (request.method === "POST") {
        const list = (body as { routes?: unknown })?.routes;
        if (!Array.isArray(list) || list.some((r) => typeof r !== "string")) {
          return json(400, { message: "routes must be an array of strings" });
        }
        device.enabledRoutes = [...(list as string[])]; // replaces the whole enabled list
        return json(200, this.#routesOf(device));
      }
    }
    if (route === `${tailnet}/dns/split-dns`) {
      if (request.method === "GET") return json(200, this.splitDns);
      if (request.method === "PATCH") {
        if (!body || typeof body !== "object" || Array.isArray(body)) {
          return json(400, { message: "body must be a map" });
        }
        const next = { ...this.splitDns };
        for (const [domain, servers] of Object.entries(body as Record<string, unknown>)) {
          if (servers === null) delete next[domain];
          else if (Array.isArray(servers)) {
            // One bad nameserver refuses the whole PATCH: nothing of it is applied.
            const bad = servers.find((server) => typeof server !== "string" || !parseIp(server));
            if (bad !== undefined) {
              return json(400, {
                message: `invalid nameserver ${JSON.stringify(bad)} for ${domain}`,
              });
            }
            next[domain] = servers.map(String);
          } else return json(400, { message: `bad value for ${domain}` });
        }
        this.splitDns = next;
        return json(200, this.splitDns);
      }
      if (request.method === "PUT") {
        // Replaces everything: {} wipes all split DNS. The reconciler must never send this.
        this.splitDns = { ...(body as Record<string, string[]>) };
        return json(200, this.splitDns);
      }
    }
    return json(404, { message: `no such endpoint ${label}` });
  }

  #routesOf(device: FakeDevice) {
    return {
      advertisedRoutes: [...device.advertisedRoutes],
      enabledRoutes: [...device.enabledRoutes],
    };
  }

  #authorized(header: string | null): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? "")?.[1];
    if (!token) return false;
    if (this.apiKeys.has(token)) return true;
    const expiresAt = this.issuedTokens.get(token);
    return expiresAt !== undefined && expiresAt > this.#now();
  }

  #oauthToken(form: string): Response {
    const params = new URLSearchParams(form);
    const client = this.oauthClients.find(
      (c) =>
        c.clientId === params.get("client_id") && c.clientSecret === params.get("client_secret"),
    );
    if (!client) return json(401, { message: "invalid client credentials" });
    const token = `tskey-oauth-access-${this.issuedTokens.size + 1}`;
    this.issuedTokens.set(token, this.#now() + 3600 * 1000);
    return json(200, {
      access_token: token,
      token_type: "Bearer",
      expires_in: 3600,
      scope: "devices:core:read devices:routes dns",
    });
  }
}
