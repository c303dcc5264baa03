// The agent's one nftables table, rendered from the config. Pure: text in, text out.
import { createHash } from "node:crypto";
import { type Cidr, cidr, formatCidr, formatIpv6, hostMask } from "../../core/ip.ts";
import { embedValue } from "../../core/rfc6052.ts";
import { NEVER_FORWARDED_IPV4 } from "../../core/special-use.ts";
import { JOOL_POOL4_PORTS } from "./jool.ts";

export const NFT_FAMILY = "inet";
export const NFT_TABLE = "nat64_relay";
export const ALLOWED_V4_SET = "allowed_v4";
export const ALLOWED_V6_SET = "allowed_v6";
export const NEVER_V4_SET = "never_v4";
export const NEVER_V6_SET = "never_v6";

/**
 * Conntrack states that may pass the guard without a fresh allow-set entry. Everything else is
 * checked: `new`, but also `invalid` (odd TCP flag combinations, crafted ICMP errors) and
 * `untracked`, which would otherwise slip past a `ct state new` check and leave un-NATed.
 */
const NOT_TRACKED_FLOW = "ct state != { established, related }";

/** The tailnet MTU is 1280 (docs/design.md, "Tailscale facts"): 1280 - 40 (IPv6) - 20 (TCP) = 1220
 * bytes of MSS. */
export const TAILNET_MTU = 1280;
export const CLAMPED_MSS = TAILNET_MTU - 40 - 20;

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

export interface NftTableInput {
  readonly engine: "tayga" | "jool";
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

const quote = (name: string) => `"${name}"`;

function chain(name: string, header: string, rules: readonly string[]): string[] {
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
 * overlay from an `allowFrom` source (the tailnet itself prevents spoofing, other links do not),
 * and IPv4 claiming a pool source passes only when tayga sent it. Nothing else is matched:
 * forwarding that is not ours (exit node, subnet router) is left alone.
 */
function ingressChain(input: NftTableInput): string[] {
  const prefix = input.prefix;
  const sources = input.allowFrom.filter((range) => range.includes(":"));
  const fromAllowed = sources.length
    ? `ip6 saddr != { ${sources.join(", ")} } `
    : // No IPv6 range allowed: no client can use the translator (the doctor says so).
      "";
  const rules = [
    `ip6 daddr ${prefix} iifname != ${quote(input.overlayInterface)} counter name ${COUNTERS.refusedInterface} drop`,
    `ip6 daddr ${prefix} ${fromAllowed}counter name ${COUNTERS.refusedSource} drop`,
  ];
  if (input.engine === "tayga") {
    rules.push(
      `ip saddr ${input.pool} iifname != ${quote(input.tunDevice)} counter name ${COUNTERS.refusedPool} drop`,
    );
  }
  return chain("refuse_foreign", "type filter hook prerouting priority raw; policy accept;", rules);
}

/**
 * tayga: the guard sits on the IPv4 side, after translation. Packets from the pool go out only
 * to addresses the DNS handed out (anything but an established or related flow is checked;
 * established ones keep flowing after the entry expires), never to special-use ranges, never to
 * the relay itself (input hook).
 */
function taygaChains(input: NftTableInput): string[][] {
  const pool = input.pool;
  const mss = `tcp flags syn tcp option maxseg size > ${CLAMPED_MSS} tcp option maxseg size set ${CLAMPED_MSS}`;
  const egress = input.egressInterfaces.map(quote).join(", ");
  return [
    ingressChain(input),
    chain("forward", "type filter hook forward priority filter; policy accept;", [
      // The pool's IPv4 leaves only where it is masqueraded; only answers come back to it.
      `ip saddr ${pool} oifname != { ${egress} } counter name ${COUNTERS.refusedEgress} drop`,
      `ip daddr ${pool} ct state != { established, related } counter name ${COUNTERS.refusedPool} drop`,
      `ip saddr ${pool} ip daddr @${NEVER_V4_SET} counter name ${COUNTERS.guardSpecial} drop`,
      `ip saddr ${pool} ${NOT_TRACKED_FLOW} ip daddr != @${ALLOWED_V4_SET} counter name ${COUNTERS.guardUnknown} drop`,
      `ip saddr ${pool} ${mss}`,
      `ip daddr ${pool} ${mss}`,
      `ip saddr ${pool} counter name ${COUNTERS.fromClients} accept`,
      `ip daddr ${pool} counter name ${COUNTERS.toClients} accept`,
    ]),
    chain("input", "type filter hook input priority filter; policy accept;", [
      `iifname ${quote(input.tunDevice)} ip saddr ${pool} counter name ${COUNTERS.guardLocal} drop`,
    ]),
    chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", [
      `ip saddr ${pool} oifname { ${egress} } counter name ${COUNTERS.masqueraded} masquerade`,
    ]),
  ];
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

/**
 * Jool translates in prerouting (netfilter mode, priority -75) and does its own NAPT from the
 * node's addresses, so the guard sits on the IPv6 side before it (priority -150): the DNS feeds
 * the synthesized IPv6 addresses into allowed_v6, and never_v6 holds the special-use ranges as
 * embedded in the prefix. Jool steals the packets it translates, so the filter chains after
 * prerouting never see them; the packets it emits do pass postrouting, where the counter for the
 * way back to the clients sits. MSS is clamped on both sides before Jool: IPv6 from the clients,
 * and IPv4 coming back to Jool's ports (its default pool4 port range on the node's addresses).
 */
function joolChains(input: NftTableInput): string[][] {
  const prefix = input.prefix;
  const mss = `tcp flags syn tcp option maxseg size > ${CLAMPED_MSS} tcp option maxseg size set ${CLAMPED_MSS}`;
  return [
    ingressChain(input),
    chain("prerouting", "type filter hook prerouting priority -150; policy accept;", [
      `ip6 daddr ${prefix} ip6 daddr @${NEVER_V6_SET} counter name ${COUNTERS.guardSpecial} drop`,
      `ip6 daddr ${prefix} ${NOT_TRACKED_FLOW} ip6 daddr != @${ALLOWED_V6_SET} counter name ${COUNTERS.guardUnknown} drop`,
      `ip6 daddr ${prefix} ${mss}`,
      `meta nfproto ipv4 fib daddr type local tcp dport ${JOOL_POOL4_PORTS} ${mss}`,
      `ip6 daddr ${prefix} counter name ${COUNTERS.fromClients} accept`,
    ]),
    chain("postrouting", "type filter hook postrouting priority filter; policy accept;", [
      `ip6 saddr ${prefix} ${mss}`,
      `ip6 saddr ${prefix} counter name ${COUNTERS.toClients} accept`,
    ]),
  ];
}

export function renderNftTable(input: NftTableInput): RenderedTable {
  const never = NEVER_FORWARDED_IPV4.map(formatCidr).join(", ");
  const sets = [
    `  set ${ALLOWED_V4_SET} { type ipv4_addr; flags timeout; }`,
    `  set ${ALLOWED_V6_SET} { type ipv6_addr; flags timeout; }`,
    `  set ${NEVER_V4_SET} { type ipv4_addr; flags interval; elements = { ${never} } }`,
  ];
  if (input.engine === "jool") {
    const embedded = embeddedRanges(cidr(input.prefix), NEVER_FORWARDED_IPV4).join(", ");
    sets.push(
      `  set ${NEVER_V6_SET} { type ipv6_addr; flags interval; elements = { ${embedded} } }`,
    );
  }
  const chains = input.engine === "tayga" ? taygaChains(input) : joolChains(input);
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
