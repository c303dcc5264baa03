// Which client sources may query (config `allowFrom`; loopback always may).
// The core ip module itself, not the core/index.ts barrel: that pulls zod and yaml into the DNS
// thread, which needs neither (docs/design.md, "Start-up").
import { type Cidr, cidr, cidrContains, parseCidr, parseIp } from "../../core/ip.ts";

const LOOPBACK: readonly Cidr[] = [cidr("127.0.0.0/8"), cidr("::1/128")];
/** Decisions remembered per source address text; cleared when it grows past this. */
const MEMO_LIMIT = 10_000;

export class SourceAccessList {
  private readonly ranges: readonly Cidr[];
  private readonly memo = new Map<string, boolean>();

  /** `alwaysAllowed`: loopback, so local tools and health checks always work. */
  constructor(allowFrom: readonly string[], alwaysAllowed: readonly Cidr[] = LOOPBACK) {
    const ranges = [...alwaysAllowed];
    for (const text of allowFrom) {
      const parsed = parseCidr(text);
      if (parsed.ok) ranges.push(parsed.cidr);
    }
    this.ranges = ranges;
  }

  allows(address: string): boolean {
    const known = this.memo.get(address);
    if (known !== undefined) return known;
    const decision = this.decide(address);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(address, decision);
    return decision;
  }

  private decide(address: string): boolean {
    // A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d.
    const text =
      address.toLowerCase().startsWith("::ffff:") && address.includes(".")
        ? address.slice(7)
        : address;
    const ip = parseIp(text);
    if (!ip) return false;
    return this.ranges.some((range) => cidrContains(range, ip.family, ip.value));
  }
}
