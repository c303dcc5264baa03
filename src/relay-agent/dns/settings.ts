// The DNS server's view of a resolved relay config: what each part needs, parsed once.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import { type HostPort, parseHostPort } from "../../core/host-port.ts";
import { type Cidr, parseCidr } from "../../core/ip.ts";
import { SourceAccessList } from "./access.ts";
import type { HandlerSettings } from "./handler.ts";
import { SourceRateLimiter } from "./rate-limit.ts";
import type { ResolverSettings } from "./resolver.ts";
import type { TcpLimits } from "./server-tcp.ts";
import { embeddingTemplate, negativeTtl } from "./synthesis.ts";
import { SplitZones } from "./zone.ts";

export interface DnsSettings {
  readonly listen: readonly HostPort[];
  readonly upstreams: readonly HostPort[];
  readonly upstreamTimeoutMs: number;
  readonly metricsListen: HostPort | undefined;
  readonly handler: HandlerSettings;
  readonly resolver: ResolverSettings;
  readonly tcp: TcpLimits;
}

function hostPort(text: string, defaultPort: number): HostPort {
  const parsed = parseHostPort(text, defaultPort);
  if (!parsed.ok) throw new Error(parsed.reason); // the schema already checked it
  return parsed.value;
}

function prefixCidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`prefix: ${parsed.reason}`);
  return parsed.cidr;
}

/** `serial` identifies this configuration in the split zones' SOA (seconds since the epoch). */
export function dnsSettingsFrom(config: ResolvedRelayConfig, serial: number): DnsSettings {
  return {
    listen: config.listen.map((text) => hostPort(text, 53)),
    upstreams: config.upstreams.map((text) => hostPort(text, 53)),
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    metricsListen: config.metricsListen ? hostPort(config.metricsListen, 9153) : undefined,
    handler: {
      zones: new SplitZones(config.splitDomains),
      access: new SourceAccessList(config.allowFrom),
      rateLimiter: config.rateLimit ? new SourceRateLimiter(config.rateLimit) : undefined,
      rateLimitAction: config.rateLimit?.action ?? "refuse",
      maxTtl: config.maxTtl,
      template: embeddingTemplate(prefixCidr(config.prefix)),
      soa: {
        serial,
        refresh: 3600,
        retry: 600,
        expire: 86_400,
        minimum: negativeTtl(config.maxTtl),
      },
      queryLog: config.queryLog,
    },
    resolver: {
      maxTtl: config.maxTtl,
      cacheSize: config.cacheSize,
      cacheBytes: config.cacheBytes,
      maxAddressesPerName: config.maxAddressesPerName,
    },
    tcp: config.dnsTcp,
  };
}
