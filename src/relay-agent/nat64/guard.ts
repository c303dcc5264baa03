// The open-proxy guard's feeder (docs/design.md, "Tailscale facts"): every IPv4 the DNS server
// synthesizes is put into the nftables allow set before the answer leaves, expiring a while
// after the TTL.
// Concurrent answers are batched into one `nft -f` transaction; addresses already allowed for
// long enough resolve at once without touching nft.
import { type Cidr, cidr, cidrContains, parseIpv4 } from "../../core/ip.ts";
import { embed, extract } from "../../core/rfc6052.ts";
import { NEVER_FORWARDED_IPV4 } from "../../core/special-use.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import {
  ALLOWED_V4_SET,
  ALLOWED_V6_SET,
  addElementsScript,
  refreshElementsScript,
  type SetElement,
} from "./nft-ruleset.ts";

/** Seconds an entry outlives the answer's TTL: clients cache, then connect a little later. */
export const DEFAULT_GRACE_SECONDS = 120;

/**
 * nft transactions running at once. Spawning nft costs more than the kernel's work, so two
 * overlap well; batches are disjoint in time and every script is safe to repeat.
 */
const MAX_IN_FLIGHT = 2;

/**
 * Which addresses the allow set holds: "v4", the IPv4 after translation (tayga), or "v6", the
 * synthesized IPv6 before it (Jool); each translator says which (`Translator.guardSide`).
 */
export type GuardSide = "v4" | "v6";

/** The nft set a side's entries live in. */
export function allowSetOf(side: GuardSide): string {
  return side === "v4" ? ALLOWED_V4_SET : ALLOWED_V6_SET;
}

/**
 * The IPv4 an allow-set element stands for, as the feeder keys its entries: the element itself
 * on the v4 side, the IPv4 embedded in it (RFC 6052, section 2.2) on the v6 side; undefined
 * when it is not in the prefix.
 */
export function allowedIpv4(side: GuardSide, prefix: Cidr, element: string): string | undefined {
  return side === "v4" ? element : extract(prefix, element);
}

export interface GuardFeederOptions {
  /** Runs one nft script (all elements of a batch in one transaction). */
  readonly runScript: (script: string) => Promise<void>;
  /** "v4" (tayga: the IPv4 side) or "v6" (jool: the synthesized IPv6, needs the prefix). */
  readonly side: GuardSide;
  readonly prefix?: string;
  readonly graceSeconds?: number;
  readonly now?: () => number;
  /** Addresses never allowed besides special-use: the relay's own. */
  readonly ownAddresses?: () => ReadonlySet<string>;
  /** Called after each batch is in the set (the agent saves the entries for the next boot). */
  readonly onFlushed?: () => void;
}

/** An allowed IPv4 and when (ms since the epoch) its set entry expires. */
export interface GuardEntry {
  readonly ipv4: string;
  readonly expiresAt: number;
}

/** Named predicate: the guard never lets traffic to these through, whatever the DNS says. */
export function isNeverForwarded(ipv4: string, own: ReadonlySet<string>): boolean {
  const value = parseIpv4(ipv4);
  if (value === undefined) return true;
  return own.has(ipv4) || NEVER_FORWARDED_IPV4.some((range) => cidrContains(range, 4, value));
}

interface Pending {
  readonly elements: Map<string, number>;
  readonly waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

export class GuardFeeder {
  private readonly options: GuardFeederOptions;
  private readonly expiresAt = new Map<string, number>();
  private pending: Pending | undefined;
  private inFlight = 0;

  constructor(options: GuardFeederOptions) {
    this.options = options;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The SynthesisObserver to hand to the DNS server. */
  readonly observer: SynthesisObserver = (ipv4s, ttlSeconds) => this.allow(ipv4s, ttlSeconds);

  /** Forgets what it believes is in the set (after the table was replaced or deleted). */
  reset(known: readonly SetElement[] = []): void {
    this.expiresAt.clear();
    const now = this.now();
    for (const element of known)
      this.expiresAt.set(element.address, now + element.timeoutSeconds * 1000);
  }

  /** Resolves once the entries are in the set; undefined (no wait) when they already were. */
  /** What the set holds, as far as this feeder knows. */
  entries(): GuardEntry[] {
    const now = this.now();
    return [...this.expiresAt]
      .filter(([, expiresAt]) => expiresAt > now)
      .map(([ipv4, expiresAt]) => ({ ipv4, expiresAt }));
  }

  /**
   * Puts saved entries back into a freshly created set (after a reboot the kernel's set is
   * empty while clients still hold cached answers), each with the time it had left.
   */
  async restore(saved: readonly GuardEntry[]): Promise<number> {
    const now = this.now();
    const own = this.options.ownAddresses?.() ?? new Set<string>();
    const live = saved.filter((e) => e.expiresAt - now >= 1000 && !isNeverForwarded(e.ipv4, own));
    if (live.length === 0) return 0;
    const elements = live.map((e) => ({
      address: this.setAddress(e.ipv4),
      timeoutSeconds: Math.floor((e.expiresAt - now) / 1000),
    }));
    await this.options.runScript(refreshElementsScript(this.setName(), elements));
    for (const entry of live) this.expiresAt.set(entry.ipv4, entry.expiresAt);
    return live.length;
  }

  private setName(): string {
    return allowSetOf(this.options.side);
  }

  private setAddress(ipv4: string): string {
    return this.options.side === "v4" ? ipv4 : embed(cidr(this.options.prefix ?? ""), ipv4);
  }

  allow(ipv4s: readonly string[], ttlSeconds: number): Promise<void> | undefined {
    const own = this.options.ownAddresses?.() ?? new Set<string>();
    const timeout =
      Math.max(0, Math.floor(ttlSeconds)) + (this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS);
    const now = this.now();
    const wanted = now + timeout * 1000;
    const needed = ipv4s.filter((ipv4) => {
      if (isNeverForwarded(ipv4, own)) return false;
      // Fresh enough: at least half the grace left beyond this answer's TTL.
      const known = this.expiresAt.get(ipv4) ?? 0;
      return known < wanted - ((this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000) / 2;
    });
    if (needed.length === 0) return undefined;
    this.pending ??= { elements: new Map(), waiters: [] };
    const batch = this.pending;
    for (const ipv4 of needed)
      batch.elements.set(ipv4, Math.max(batch.elements.get(ipv4) ?? 0, timeout));
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    // The batch collects answers until the end of this turn of the event loop, or longer while
    // MAX_IN_FLIGHT transactions are already running.
    if (batch.waiters.length === 1) setImmediate(() => this.pump());
    return done;
  }

  private pump(): void {
    const batch = this.pending;
    if (!batch || this.inFlight >= MAX_IN_FLIGHT) return;
    this.pending = undefined;
    this.inFlight++;
    void this.flush(batch).finally(() => {
      this.inFlight--;
      this.pump();
    });
  }

  private async flush(batch: Pending): Promise<void> {
    // A plain add is enough (and 3x cheaper) for an address not in the set; one that is there
    // needs add+delete+add to get its timeout extended.
    const before = this.now();
    const fresh: SetElement[] = [];
    const known: SetElement[] = [];
    for (const [ipv4, timeoutSeconds] of batch.elements) {
      const element = { address: this.setAddress(ipv4), timeoutSeconds };
      ((this.expiresAt.get(ipv4) ?? 0) > before ? known : fresh).push(element);
    }
    const set = this.setName();
    try {
      await this.options.runScript(
        addElementsScript(set, fresh) + refreshElementsScript(set, known),
      );
      const now = this.now();
      for (const [ipv4, expiry] of this.expiresAt) if (expiry < now) this.expiresAt.delete(ipv4);
      for (const [ipv4, timeoutSeconds] of batch.elements)
        this.expiresAt.set(ipv4, now + timeoutSeconds * 1000);
      for (const waiter of batch.waiters) waiter.resolve();
      this.options.onFlushed?.();
    } catch (error) {
      for (const waiter of batch.waiters) waiter.reject(error);
    }
  }
}
