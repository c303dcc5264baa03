// The shared integration lab: a real nsd serving the real zone below, a silent upstream, and
// helpers to start our DNS server in-process on a free loopback port.
import type dnsPacket from "dns-packet";
import { pino } from "pino";
import {
  type HostPort,
  parseRelayConfigValue,
  type RelayConfigInput,
  resolveRelayConfig,
} from "../../../src/core/index.ts";
import { DnsServer, type DnsServerDeps } from "../../../src/relay-agent/dns/dns-server.ts";
import { type DnsSettings, dnsSettingsFrom } from "../../../src/relay-agent/dns/settings.ts";
import { type NsdUpstream, startNsd } from "./nsd-upstream.ts";

export const SPLIT = "r9929";
export const REAL = "tail1234.ts.net";
export const OTHER_ZONE = "other.example";
export const PREFIX = "fd4e:2a91:7c3d:6464::/96";
/** The real zone's SOA negative TTL: min(SOA TTL, MINIMUM) as nsd serves it. */
export const REAL_NEGATIVE_TTL = 120;

/** Hosts of the real zone, by label: records as the zone file states them. */
export const HOSTS = {
  plain: [{ type: "A", ttl: 300, data: "100.101.1.1" }],
  multi: ["100.101.2.1", "100.101.2.2", "100.101.2.3"].map((data) => ({
    type: "A",
    ttl: 240,
    data,
  })),
  chain: [{ type: "CNAME", ttl: 60, data: `chain2.${REAL}.` }],
  chain2: [{ type: "CNAME", ttl: 200, data: `target.${REAL}.` }],
  target: [{ type: "A", ttl: 250, data: "100.101.3.1" }],
  dual: [
    { type: "A", ttl: 300, data: "100.101.4.1" },
    { type: "AAAA", ttl: 300, data: "fd00::4:1" },
  ],
  special: ["127.0.0.1", "169.254.169.254", "224.0.0.5", "100.101.5.5"].map((data) => ({
    type: "A",
    ttl: 300,
    data,
  })),
  allspecial: [{ type: "A", ttl: 300, data: "127.0.0.1" }],
  txtonly: [{ type: "TXT", ttl: 300, data: '"hello"' }],
  outchain: [{ type: "CNAME", ttl: 100, data: `host.${OTHER_ZONE}.` }],
  big: Array.from({ length: 100 }, (_, index) => ({
    type: "A",
    ttl: 300,
    data: `10.77.${index >> 8}.${(index & 255) + 1}`,
  })),
} as const;
export const OTHER_HOST = { type: "A", ttl: 90, data: "100.101.9.9" } as const;

function zoneText(
  hosts: Record<string, readonly { type: string; ttl: number; data: string }[]>,
): string {
  return Object.entries(hosts)
    .flatMap(([label, records]) =>
      records.map((record) => `${label} ${record.ttl} IN ${record.type} ${record.data}`),
    )
    .join("\n");
}

export function startRealUpstream(host: string): Promise<NsdUpstream> {
  const soa = `@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 ${REAL_NEGATIVE_TTL}\n@ IN NS ns1\nns1 IN A ${host}`;
  return startNsd(host, [
    { name: REAL, records: `${soa}\n${zoneText(HOSTS)}` },
    { name: OTHER_ZONE, records: `${soa}\nhost ${OTHER_HOST.ttl} IN A ${OTHER_HOST.data}` },
  ]);
}

/** Settings for our server from a config object; listen on a free port of 127.0.0.1. */
export function labSettings(config: Partial<RelayConfigInput>): DnsSettings {
  const parsed = parseRelayConfigValue({
    engine: "none",
    listen: ["127.0.0.1:5353"],
    prefix: PREFIX,
    splitDomains: [{ name: SPLIT, realSuffix: REAL }],
    ...config,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const settings = dnsSettingsFrom(
    resolveRelayConfig(parsed.config, { generatedPrefix: "", tailscaleIps: [] }),
    1,
  );
  const listen: HostPort[] = [{ host: "127.0.0.1", family: 4, port: 0 }];
  return { ...settings, listen };
}

export async function startServer(
  config: Partial<RelayConfigInput>,
  deps: Partial<DnsServerDeps> = {},
): Promise<{ server: DnsServer; port: number; settings: DnsSettings }> {
  const settings = labSettings(config);
  const server = await DnsServer.start(settings, { logger: pino({ level: "silent" }), ...deps });
  const port = server.boundAddresses()[0]!.udpPort;
  return { server, port, settings };
}

export const rcodeOf = (raw: Buffer) => raw[3]! & 0x0f;
export type Decoded = dnsPacket.DecodedPacket;
