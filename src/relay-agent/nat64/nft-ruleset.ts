// The agent's one nftables table, rendered from the config: the counters, sets and ingress chain
// every translator shares, plus the translator's own part (tayga-ruleset.ts, jool-ruleset.ts),
// and the scripts that load it. Pure: text in, text out.
import { createHash } from "node:crypto";
import { type Cidr, formatCidr, formatIpv6, hostMask } from "../../core/ip.ts";
import { embedValue } from "../../core/rfc6052.ts";
import { NEVER_FORWARDED_IPV4 } from "../../core/special-use.ts";

export const NFT_FAMILY = "inet";
export const NFT_TABLE = "nat64_relay";
export const ALLOWED_V4_SET = "allowed_v4";
export const ALLOWED_V6_SET = "allowed_v6";
export const NEVER_V4_SET = "never_v4";
export const NEVER_V6_SET = "never_v6";

/**
 * Conntrack states that may pass the guard without a fresh allow-set entry. Everything else is
 * checked: `new`, but also `invalid` (odd TCP flag combinations, crafted ICMP errors) and
 * `untracked`, which would otherwise slip past a `ct state new` check and leave un-NATed
 * (docs/design.md, "Netfilter and the host").
 */
export const NOT_TRACKED_FLOW = "ct state != { established, related }";

/** The tailnet MTU is 1280 (docs/design.md, "Tailscale facts"): 1280 - 40 (IPv6) - 20 (TCP) = 1220
 * bytes of MSS. */
export const TAILNET_MTU = 1280;
export const CLAMPED_MSS = TAILNET_MTU - 40 - 20;

/** Appended to a match: a SYN announcing a larger MSS leaves announcing CLAMPED_MSS. */
export const CLAMP_MSS = `tcp flags syn tcp option maxseg size > ${CLAMPED_MSS} tcp option maxseg size set ${CLAMPED_MSS}`;

/** Named counters `agent doctor` reads. */
export const COUNTERS = {
  fromClients: "from_clients",
  toClients: "to_clients",
  masqueraded: "masqueraded",
  guardUnknown: "guard_unknown",
  guardSpecial: "guard_special",
  guardLocal: "guard_local",
  refusedInterface: "refused_interface",
  refusedSource: "refused_source",
  refusedEgress: "refused_egress",
  refusedPool: "refused_pool",
} as const;

/** What a translator adds to the table (resources/translators/: each one's `ruleset`). */
export interface TranslatorRuleset {
  /** Rules after the common ones in refuse_foreign (raw prerouting, before conntrack). */
  readonly ingress: readonly string[];
  /** Sets beyond the ones every table has. */
  readonly sets: readonly string[];
  /** Its chains after refuse_foreign, each as `chain()` renders it. */
  readonly chains: readonly string[][];
}

export interface NftTableInput {
  /** The translator whose guard and NAT chains the table holds. */
  readonly translator: { ruleset(input: NftTableInput): TranslatorRuleset };
  readonly pool: string;
  readonly prefix: string;
  readonly tunDevice: string;
  readonly egressInterfaces: readonly string[];
  /** The only interface IPv6 toward the prefix may arrive on (config `overlayInterface`). */
  readonly overlayInterface: string;
  /** Sources that may use the translator (config `allowFrom`; its IPv6 ranges apply here). */
  readonly allowFrom: readonly string[];
}

export interface RenderedTable {
  /** The table body, `table inet nat64_relay { ... }`, with the digest in its comment. */
  readonly body: string;
  /** Hash of everything but the comment: equal digests mean equal rulesets. */
  readonly digest: string;
  /** Rules per chain, so a table edited by hand is noticed even when its comment survives. */
  readonly ruleCounts: Readonly<Record<string, number>>;
}

export const quote = (name: string) => `"${name}"`;

export function chain(name: string, header: string, rules: readonly string[]): string[] {
  return [`  chain ${name} {`, `    ${header}`, ...rules.map((rule) => `    ${rule}`), "  }"];
}

function counterLines(): string[] {
  return Object.values(COUNTERS).map((name) => `  counter ${name} {}`);
}

/**
 * Who may use the translator at all (docs/security.md, "Forwarding path"). IPv6 forwarding is on
 * for every interface, and tayga hands out a pool address (kept 2 h 4 min, in dynamic.map) to
 * any source before a filter after it could drop the packet. So at raw priority, before
 * conntrack, routing and tayga's TUN: IPv6 toward the prefix passes only when it came in on the
 * overlay from an `allowFrom` source (the tailnet itself prevents spoofing, other links do not);
 * the translator adds its own (tayga: IPv4 claiming a pool source passes only when tayga sent
 * it). Nothing else is matched: forwarding that is not ours (exit node, subnet router) is left
 * alone.
 */
function ingressChain(input: NftTableInput, translatorRules: readonly string[]): string[] {
  const prefix = input.prefix;
  const sources = input.allowFrom.filter((range) => range.includes(":"));
  const fromAllowed = sources.length
    ? `ip6 saddr != { ${sources.join(", ")} } `
    : // No IPv6 range allowed: no client can use the translator (the doctor says so).
      "";
  const rules = [
    `ip6 daddr ${prefix} iifname != ${quote(input.overlayInterface)} counter name ${COUNTERS.refusedInterface} drop`,
    `ip6 daddr ${prefix} ${fromAllowed}counter name ${COUNTERS.refusedSource} drop`,
    ...translatorRules,
  ];
  return chain("refuse_foreign", "type filter hook prerouting priority raw; policy accept;", rules);
}

/**
 * The IPv6 ranges that carry a never-forwarded IPv4 inside the prefix (RFC 6052 embedding), as
 * nft intervals. For prefixes shorter than /96 the range also covers the suffix bits after the
 * last embedded octet, so no spelling of a special-use target gets through.
 */
export function embeddedRanges(prefix: Cidr, ranges: readonly Cidr[]): string[] {
  const lowestBit = embedValue({ ...prefix, network: 0n }, 1n);
  const suffix = lowestBit - 1n;
  return ranges.map((range) => {
    const first = embedValue(prefix, range.network);
    const last = embedValue(prefix, range.network | hostMask(4, range.length)) | suffix;
    return `${formatIpv6(first)}-${formatIpv6(last)}`;
  });
}

export function renderNftTable(input: NftTableInput): RenderedTable {
  const translator = input.translator.ruleset(input);
  const never = NEVER_FORWARDED_IPV4.map(formatCidr).join(", ");
  const sets = [
    `  set ${ALLOWED_V4_SET} { type ipv4_addr; flags timeout; }`,
    `  set ${ALLOWED_V6_SET} { type ipv6_addr; flags timeout; }`,
    `  set ${NEVER_V4_SET} { type ipv4_addr; flags interval; elements = { ${never} } }`,
    ...translator.sets,
  ];
  const chains = [ingressChain(input, translator.ingress), ...translator.chains];
  const inner = [...counterLines(), ...sets, ...chains.flat()];
  const digest = createHash("sha256").update(inner.join("\n")).digest("hex").slice(0, 16);
  const ruleCounts: Record<string, number> = {};
  for (const lines of chains) {
    const name = lines[0]?.trim().split(" ")[1] ?? "";
    ruleCounts[name] = lines.length - 3;
  }
  const body = [
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    `  comment ${quote(tableComment(digest))}`,
    ...inner,
    "}",
  ].join("\n");
  return { body, digest, ruleCounts };
}

export function tableComment(digest: string): string {
  return `managed by nat64-relay; desired ${digest}`;
}

export function digestFromComment(comment: string | undefined): string | undefined {
  return comment?.match(/desired ([0-9a-f]{16})$/)?.[1];
}

export interface SetElement {
  readonly address: string;
  readonly timeoutSeconds: number;
}

/**
 * One atomic `nft -f` script: create-if-missing, delete, recreate, then put back the guard
 * entries that were live, so a reload never drops traffic the DNS already allowed.
 */
export function replaceTableScript(
  table: RenderedTable,
  keep: { v4: readonly SetElement[]; v6: readonly SetElement[] } = { v4: [], v6: [] },
): string {
  return [
    `table ${NFT_FAMILY} ${NFT_TABLE}`,
    `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
    table.body,
    ...addElementLines(ALLOWED_V4_SET, keep.v4),
    ...addElementLines(ALLOWED_V6_SET, keep.v6),
    "",
  ].join("\n");
}

export function deleteTableScript(): string {
  return `table ${NFT_FAMILY} ${NFT_TABLE}\ndelete table ${NFT_FAMILY} ${NFT_TABLE}\n`;
}

function addElementLines(set: string, elements: readonly SetElement[]): string[] {
  if (elements.length === 0) return [];
  const list = elements.map((e) => `${e.address} timeout ${Math.max(1, e.timeoutSeconds)}s`);
  return [`add element ${NFT_FAMILY} ${NFT_TABLE} ${set} { ${list.join(", ")} }`];
}

/** Adds elements that are not in the set yet (an existing one would keep its old timeout). */
export function addElementsScript(set: string, elements: readonly SetElement[]): string {
  const lines = addElementLines(set, elements);
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/**
 * Inserts or refreshes guard entries in one transaction. `add` does not extend the timeout of an
 * element that exists, so each one is added (no-op if present), deleted and added again.
 */
export function refreshElementsScript(set: string, elements: readonly SetElement[]): string {
  if (elements.length === 0) return "";
  const bare = elements.map((e) => e.address).join(", ");
  return [
    `add element ${NFT_FAMILY} ${NFT_TABLE} ${set} { ${bare} }`,
    `delete element ${NFT_FAMILY} ${NFT_TABLE} ${set} { ${bare} }`,
    ...addElementLines(set, elements),
    "",
  ].join("\n");
}
