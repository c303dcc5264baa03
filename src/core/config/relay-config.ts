// The one relay configuration schema: the agent's standalone file and the API's managed config.
import { z } from "zod";
import { parseHostPort } from "../host-port.ts";
import { formatCidr, parseCidr } from "../ip.ts";
import { checkNat64Pool } from "../validation/nat64-pool.ts";
import { checkNat64Prefix } from "../validation/nat64-prefix.ts";
import { checkSplitDomain } from "../validation/split-domain.ts";
import { NAT64_ENGINES } from "./engine.ts";

export const DEFAULT_ALLOW_FROM = ["100.64.0.0/10", "fd7a:115c:a1e0::/48"];
export const DEFAULT_POOL = "192.168.240.0/20";
export const DNS_PORT = 53;

const hostPortString = (defaultPort: number) =>
  z.string().superRefine((text, ctx) => {
    const parsed = parseHostPort(text, defaultPort);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
  });

/**
 * Writes a well-formed CIDR in canonical text (RFC 5952 for IPv6), so prefixes compare as
 * strings with what `ip -j route` and tailscale print. Text with host bits set is kept as
 * written: the validators must still see and refuse it.
 */
export function canonicalCidrText(text: string): string {
  const parsed = parseCidr(text.trim());
  return parsed.ok && !parsed.hostBitsSet ? formatCidr(parsed.cidr) : text;
}

const cidrString = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
});

const interfaceName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,15}$/, "an interface name is 1 to 15 letters, digits, _ . or -");

export const SplitDomainConfig = z.strictObject({
  // YAML reads `name: 9929` as a number; it is still the label the user meant.
  name: z
    .union([z.string(), z.number().int().nonnegative()])
    .transform(String)
    .describe("suffix that forces the relay, e.g. r9929 (host.r9929)"),
  realSuffix: z.string().describe("suffix of the real names, e.g. tail1234.ts.net"),
});
export type SplitDomainConfig = z.infer<typeof SplitDomainConfig>;

export const RateLimitConfig = z.strictObject({
  queriesPerSecond: z.number().positive().default(200),
  burst: z.number().int().positive().default(400),
  action: z.enum(["refuse", "drop"]).default("refuse"),
});

const ms = (min: number, max: number, fallback: number, meaning: string) =>
  z.number().int().min(min).max(max).default(fallback).describe(`${meaning} (ms)`);

/** Limits of DNS over TCP per listen address and process (docs/security.md). */
export const DnsTcpConfig = z.strictObject({
  idleTimeoutMs: ms(100, 600_000, 10_000, "close a connection with nothing asked for this long"),
  queryTimeoutMs: ms(
    100,
    60_000,
    5_000,
    "a query must arrive complete this soon after its first byte",
  ),
  lifetimeMs: ms(
    1_000,
    86_400_000,
    120_000,
    "stop taking queries on a connection this old; close it once answered",
  ),
  maxConnections: z.number().int().min(1).max(65_535).default(512).describe("open connections"),
  maxConnectionsPerSource: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(16)
    .describe("open connections from one source address"),
  maxInFlightPerConnection: z
    .number()
    .int()
    .min(1)
    .max(4_096)
    .default(64)
    .describe("unanswered queries per connection before reading pauses"),
  maxUnsentBytes: z
    .number()
    .int()
    .min(1_024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .describe("answer bytes a client has not read before reading from it pauses"),
  unsentTimeoutMs: ms(
    100,
    600_000,
    5_000,
    "close a connection whose unread answers stay over maxUnsentBytes this long",
  ),
});

/** Keys shared by the standalone file and the API's relay resource (everything but splitDomains). */
export const RelaySettings = z.strictObject({
  listen: z
    .array(hostPortString(DNS_PORT))
    .min(1)
    .optional()
    .describe("DNS listen addresses; default: this node's Tailscale IPs, port 53"),
  upstreams: z
    .array(hostPortString(DNS_PORT))
    .min(1, "give at least one upstream resolver, e.g. 100.100.100.100 (MagicDNS)")
    .default(["100.100.100.100"])
    .describe("UPSTREAM_DNS: resolvers that know the real names, host or host:port"),
  allowFrom: z
    .array(cidrString)
    .default(DEFAULT_ALLOW_FROM)
    .describe(
      "client sources allowed to query (loopback is always allowed) and, by their IPv6 ranges, to use the translator",
    )
    .transform((list) => list.map(canonicalCidrText)),
  prefix: z
    .string()
    .optional()
    .describe("NAT64_PREFIX, advertised as the subnet route; default: a generated ULA /96")
    .transform((text) => (text === undefined ? undefined : canonicalCidrText(text))),
  pool: z
    .string()
    .default(DEFAULT_POOL)
    .describe("NAT64_V4_POOL tayga maps clients into")
    .transform(canonicalCidrText),
  overlayInterface: interfaceName
    .default("tailscale0")
    .describe("OVERLAY_IFACE: the only interface IPv6 toward the prefix is accepted on"),
  egressInterfaces: z
    .array(interfaceName)
    .min(1)
    .optional()
    .describe(
      "where translated IPv4 leaves (masquerade), and the only way the pool may leave; default: [overlayInterface]",
    ),
  engine: z.enum(NAT64_ENGINES).default("tayga"),
  fastPath: z
    .enum(["auto", "off"])
    .default("auto")
    .describe(
      "tc-BPF fast path on tayga's tun (docs/fast-path.md); auto: on where it loads, off: tayga only",
    ),
  advertise: z.boolean().default(true).describe("merge prefix into tailscale --advertise-routes"),
  maxTtl: z.number().int().min(0).max(86400).default(300).describe("cap on answer TTLs (s)"),
  cacheSize: z
    .number()
    .int()
    .min(100)
    .max(10_000_000)
    .default(200_000)
    .describe("most real names cached"),
  cacheBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(16 * 1024 * 1024 * 1024)
    .default(64 * 1024 * 1024)
    .describe(
      "most bytes the cache holds (estimated per entry); whichever of cacheSize and cacheBytes is reached first evicts",
    ),
  maxAddressesPerName: z
    .number()
    .int()
    .min(1)
    .max(4096)
    .default(64)
    .describe(
      "IPv4 addresses kept per real name (the upstream's first ones); AAAA answers carry at most this many",
    ),
  upstreamTimeoutMs: z.number().int().min(50).max(30_000).default(1500),
  rateLimit: RateLimitConfig.optional().describe("per-source token bucket; absent: off"),
  metricsListen: hostPortString(9153).optional().describe("Prometheus metrics address"),
  queryLog: z.boolean().default(false),
  dnsTcp: DnsTcpConfig.prefault({}).describe("limits of DNS over TCP"),
});

/** Runs even when other keys failed, so one pass reports every problem in a file. */
const ALWAYS = { when: () => true };

function checkRelaySettings(
  value: { prefix?: unknown; pool?: unknown; engine?: unknown },
  ctx: z.RefinementCtx,
): void {
  // An engine that is not one (reported by its own key) is checked as the default, tayga.
  const engine = NAT64_ENGINES.find((name) => name === value.engine) ?? "tayga";
  if (typeof value.prefix === "string") {
    const prefix = checkNat64Prefix(value.prefix, engine);
    if (!prefix.ok) {
      for (const message of prefix.reasons)
        ctx.addIssue({ code: "custom", path: ["prefix"], message });
    }
  }
  if (typeof value.pool !== "string") return;
  const pool = checkNat64Pool(value.pool);
  if (!pool.ok) {
    for (const message of pool.reasons) ctx.addIssue({ code: "custom", path: ["pool"], message });
  }
}

export const RelaySettingsInput = RelaySettings.superRefine(checkRelaySettings, ALWAYS);

function checkSplitDomains(value: { splitDomains?: unknown }, ctx: z.RefinementCtx): void {
  if (!Array.isArray(value.splitDomains)) return;
  const accepted: SplitDomainConfig[] = [];
  value.splitDomains.forEach((domain: unknown, index) => {
    const { name, realSuffix } = (domain ?? {}) as Record<string, unknown>;
    if (typeof realSuffix !== "string" || !["string", "number"].includes(typeof name)) return;
    const check = checkSplitDomain({ name: String(name), realSuffix }, accepted);
    for (const problem of check.problems) {
      ctx.addIssue({
        code: "custom",
        path: ["splitDomains", index, problem.field],
        message: problem.message,
      });
    }
    accepted.push(check.normalized);
  });
}

export const RelayConfig = RelaySettings.extend({
  splitDomains: z.array(SplitDomainConfig).default([]),
})
  .superRefine(checkRelaySettings, ALWAYS)
  .superRefine(checkSplitDomains, ALWAYS)
  .transform((value) => ({
    ...value,
    splitDomains: value.splitDomains.map((domain) => checkSplitDomain(domain).normalized),
  }));

/** A validated relay configuration, split domain names normalized. */
export type RelayConfig = z.output<typeof RelayConfig>;
export type RelayConfigInput = z.input<typeof RelayConfig>;
