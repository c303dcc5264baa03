// The split-DNS synthesis server: UDP and TCP listeners on every listen address sharing one
// handler, resolver and cache; reloads swap settings without closing sockets that stay.
import type { Logger } from "pino";
import { formatHostPort, type HostPort } from "../../core/host-port.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import { QueryHandler } from "./handler.ts";
import { DnsMetrics } from "./metrics.ts";
import { MetricsHttpServer } from "./metrics-http.ts";
import { AaaaResolver } from "./resolver.ts";
import { TcpListener } from "./server-tcp.ts";
import { UdpListener } from "./server-udp.ts";
import type { DnsSettings } from "./settings.ts";
import { DnsUpstreamClient, type UpstreamClient } from "./upstream.ts";

export interface DnsServerDeps {
  readonly logger: Logger;
  /** The data plane's open-proxy guard, told about every synthesized IPv4 (absent: engine none). */
  readonly observer?: SynthesisObserver;
  /** Swappable for tests; default: the real UDP/TCP client. */
  readonly upstreamClient?: (settings: DnsSettings, metrics: DnsMetrics) => UpstreamClient;
  /** Share the UDP ports with sibling worker processes (SO_REUSEPORT). */
  readonly reusePort?: boolean;
  /** More exposition text appended to the DNS server's own (the data plane's fast path). */
  readonly extraMetrics?: () => Promise<string>;
  /** Serve metrics on settings.metricsListen (workers leave this to the primary). */
  readonly serveMetrics?: boolean;
}

interface Listeners {
  readonly udp: UdpListener;
  readonly tcp: TcpListener;
}

function realUpstreamClient(settings: DnsSettings, metrics: DnsMetrics): UpstreamClient {
  return new DnsUpstreamClient({
    upstreams: settings.upstreams,
    timeoutMs: settings.upstreamTimeoutMs,
    observe: (upstream, outcome, seconds) => metrics.observeUpstream(upstream, outcome, seconds),
  });
}

const upstreamIdentity = (settings: DnsSettings) =>
  `${settings.upstreams.map(formatHostPort).join(",")}/${settings.upstreamTimeoutMs}`;

export class DnsServer {
  readonly metrics: DnsMetrics;
  readonly handler: QueryHandler;
  private readonly resolver: AaaaResolver;
  private readonly deps: DnsServerDeps;
  private readonly listeners = new Map<string, Listeners>();
  private metricsServer: MetricsHttpServer | undefined;
  private settings: DnsSettings;
  private upstream: UpstreamClient;

  private constructor(settings: DnsSettings, deps: DnsServerDeps) {
    this.settings = settings;
    this.deps = deps;
    this.metrics = new DnsMetrics({
      cacheEntries: () => this.resolver.cacheSize,
      cacheBytes: () => this.resolver.cacheBytes,
      tcpConnections: () => {
        let total = 0;
        for (const listener of this.listeners.values()) total += listener.tcp.connections;
        return total;
      },
    });
    this.upstream = (deps.upstreamClient ?? realUpstreamClient)(settings, this.metrics);
    this.resolver = new AaaaResolver(settings.resolver, this.upstream);
    this.handler = new QueryHandler({
      settings: settings.handler,
      resolver: this.resolver,
      metrics: this.metrics,
      logger: deps.logger,
      observer: deps.observer,
    });
  }

  static async start(settings: DnsSettings, deps: DnsServerDeps): Promise<DnsServer> {
    const server = new DnsServer(settings, deps);
    try {
      await server.openListeners(settings.listen);
      if (settings.metricsListen && deps.serveMetrics !== false) {
        server.metricsServer = await MetricsHttpServer.open(
          settings.metricsListen,
          async () => (await server.metrics.render()) + ((await deps.extraMetrics?.()) ?? ""),
        );
      }
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  /** Bound UDP/TCP ports per listen address (useful when the config asked for port 0). */
  boundAddresses(): { listen: string; udpPort: number; tcpPort: number }[] {
    return [...this.listeners].map(([listen, { udp, tcp }]) => ({
      listen,
      udpPort: udp.port,
      tcpPort: tcp.port,
    }));
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /**
   * Applies a new configuration. Sockets of listen addresses that stay are kept; new ones are
   * opened before removed ones close. The cache survives unless the prefix or TTL cap changed.
   */
  async reload(settings: DnsSettings): Promise<void> {
    await this.openListeners(settings.listen);
    const wanted = new Set(settings.listen.map(formatHostPort));
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      await Promise.all([listener.udp.close(), listener.tcp.close()]);
    }
    if (upstreamIdentity(settings) !== upstreamIdentity(this.settings)) {
      this.upstream = (this.deps.upstreamClient ?? realUpstreamClient)(settings, this.metrics);
    }
    for (const listener of this.listeners.values()) listener.tcp.limits = settings.tcp;
    this.resolver.reconfigure(settings.resolver, this.upstream);
    this.handler.settings = settings.handler;
    await this.moveMetrics(settings.metricsListen);
    this.settings = settings;
  }

  /** Opens the new metrics address before closing the old one, so a bad address changes nothing. */
  private async moveMetrics(listen: HostPort | undefined): Promise<void> {
    const current = this.settings.metricsListen;
    const same = (a?: HostPort, b?: HostPort) =>
      (a ? formatHostPort(a) : undefined) === (b ? formatHostPort(b) : undefined);
    if (this.deps.serveMetrics === false || same(current, listen)) return;
    const opened = listen
      ? await MetricsHttpServer.open(listen, () => this.metrics.render())
      : undefined;
    const old = this.metricsServer;
    this.metricsServer = opened;
    await old?.close();
  }

  private async openListeners(addresses: readonly HostPort[]): Promise<void> {
    for (const address of addresses) {
      const key = formatHostPort(address);
      if (this.listeners.has(key)) continue;
      const { udp, tcp } = await this.openPair(address, key);
      this.listeners.set(key, { udp, tcp });
      this.deps.logger.info({ listen: key, port: udp.port }, "dns: listening on UDP and TCP");
    }
  }

  /**
   * Opens UDP and TCP on one address. With port 0 (tests) TCP takes the port UDP was given so
   * both answer on one address; that TCP port can already be some connection's local port, so
   * a few fresh UDP ports are tried before giving up.
   */
  private async openPair(
    address: HostPort,
    key: string,
  ): Promise<{ udp: UdpListener; tcp: TcpListener }> {
    const attempts = address.port === 0 ? 10 : 1;
    for (let attempt = 1; ; attempt++) {
      const udp = await UdpListener.open(address, this.handler, {
        reusePort: this.deps.reusePort,
        onError: (error) => this.deps.logger.error({ err: error, listen: key }, "dns: UDP error"),
      });
      const tcpAddress = address.port === 0 ? { ...address, port: udp.port } : address;
      try {
        const tcp = await TcpListener.open(
          tcpAddress,
          this.handler,
          this.settings.tcp,
          this.deps.reusePort ?? false,
        );
        return { udp, tcp };
      } catch (error) {
        await udp.close();
        const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
        if (!inUse || attempt >= attempts) throw error;
      }
    }
  }

  async close(): Promise<void> {
    const closing = [...this.listeners.values()].flatMap(({ udp, tcp }) => [
      udp.close(),
      tcp.close(),
    ]);
    this.listeners.clear();
    if (this.metricsServer) closing.push(this.metricsServer.close());
    await Promise.all(closing);
    this.resolver.close();
  }
}
