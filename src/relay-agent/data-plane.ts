// The seam between the DNS server and the NAT64 data plane.

/**
 * Told about every IPv4 the DNS server synthesized into an answer, before the answer is sent,
 * so the open-proxy guard lets traffic to it through (docs/design.md, "Tailscale facts").
 * A returned promise is awaited (bounded) only for that one answer; it must never block other
 * queries.
 */
export type SynthesisObserver = (
  ipv4s: readonly string[],
  ttlSeconds: number,
) => void | Promise<void>;
