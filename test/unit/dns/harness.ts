// Builds a QueryHandler over a fake upstream from a config object, for tests without sockets.
import dnsPacket from "dns-packet";
import { pino } from "pino";
import { parseRelayConfigValue, resolveRelayConfig } from "../../../src/core/index.ts";
import type { SynthesisObserver } from "../../../src/relay-agent/data-plane.ts";
import { QueryHandler, type Transport } from "../../../src/relay-agent/dns/handler.ts";
import { DnsMetrics } from "../../../src/relay-agent/dns/metrics.ts";
import { AaaaResolver } from "../../../src/relay-agent/dns/resolver.ts";
import { dnsSettingsFrom } from "../../../src/relay-agent/dns/settings.ts";
import { FakeUpstreamClient } from "../../fakes/fake-upstream-client.ts";

export const PREFIX = "fd4e:2a91:7c3d:6464::/96";

/** `logLines` collects the handler's pino output (one JSON line per entry), at level info. */
export function handlerHarness(
  overrides: Record<string, unknown> = {},
  observer?: SynthesisObserver,
  logLines: string[] = [],
  loggerName?: string,
) {
  const parsed = parseRelayConfigValue({
    engine: "none",
    listen: ["127.0.0.1:5353"],
    upstreams: ["127.0.0.1:1"],
    prefix: PREFIX,
    splitDomains: [{ name: "r9929", realSuffix: "tail1234.ts.net" }],
    ...overrides,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const settings = dnsSettingsFrom(
    resolveRelayConfig(parsed.config, { generatedPrefix: "", tailscaleIps: [] }),
    1,
  );
  const upstream = new FakeUpstreamClient();
  const resolver = new AaaaResolver(settings.resolver, upstream);
  const metrics = new DnsMetrics({
    cacheEntries: () => resolver.cacheSize,
    cacheBytes: () => resolver.cacheBytes,
    tcpConnections: () => 0,
  });
  const handler = new QueryHandler({
    settings: settings.handler,
    resolver,
    metrics,
    logger: pino(
      { level: "info", ...(loggerName ? { name: loggerName } : {}) },
      { write: (line: string) => logLines.push(line) },
    ),
    ...(observer ? { observer } : {}),
  });

  /** Sends one query; resolves with the decoded answer, or undefined when none came in time. */
  function ask(
    name: string,
    type: dnsPacket.RecordType | number,
    options: { source?: string; transport?: Transport; raw?: Buffer; waitMs?: number } = {},
  ): Promise<{ raw: Buffer; packet: dnsPacket.DecodedPacket; rcode: number } | undefined> {
    const message = options.raw ?? encodeQuestion(name, type);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), options.waitMs ?? 1000);
      handler.handle(message, options.source ?? "127.0.0.1", options.transport ?? "udp", (raw) => {
        clearTimeout(timer);
        resolve({ raw, packet: dnsPacket.decode(raw), rcode: raw[3]! & 0x0f });
      });
    });
  }
  return { handler, upstream, resolver, metrics, ask, settings };
}

/** dns-packet knows no HTTPS/SVCB: numeric types are written into the QTYPE field directly. */
export function encodeQuestion(name: string, type: dnsPacket.RecordType | number): Buffer {
  const message = dnsPacket.encode({
    type: "query",
    id: 4242,
    questions: [{ type: typeof type === "number" ? "A" : type, name }],
  });
  if (typeof type === "number") message.writeUInt16BE(type, message.length - 4);
  return message;
}
