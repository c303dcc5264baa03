// A bounded LRU cache with TTLs and a serve-stale window (RFC 8767). Pure: the caller passes
// the clock. Keys are real names (wire-form keys), so every split zone mapping to the same
// real suffix shares entries. Bounded twice: by entries and by the bytes the caller's sizeOf
// estimates, so big values (a name with many addresses) cannot outgrow memory.

export interface CacheSlot<V> {
  readonly value: V;
  /** Fresh until then (ms). */
  readonly expiresAt: number;
  /** May be served stale until then (ms), when the upstreams fail (RFC 8767 §4). */
  readonly staleUntil: number;
  /** After a failed refresh, answer stale without asking again until then (RFC 8767 §4). */
  failedRefreshUntil: number;
  /** Last time the entry moved to the recent end of the LRU order. */
  touchedAt: number;
  /** What sizeOf estimated when it was stored. */
  readonly bytes: number;
}

export interface CacheBounds {
  /** Most entries kept. */
  readonly entries: number;
  /** Most estimated bytes kept (sum of sizeOf over the entries). */
  readonly bytes: number;
}

const EPOCH = Date.now();
/**
 * Milliseconds since this module loaded: small integers (V8 Smis, no boxed number per field)
 * for the first 12 days, so 100,000 entries stay small. Only differences matter here.
 */
export function cacheClock(): number {
  return Date.now() - EPOCH;
}

/** Moving an entry in the LRU order costs a delete and a set; do it at most this often. */
const TOUCH_INTERVAL_MS = 1000;

export class TtlLruCache<V> {
  private readonly slots = new Map<string, CacheSlot<V>>();
  private bounds: CacheBounds;
  private readonly staleWindowMs: number;
  private readonly sizeOf: (key: string, value: V) => number;
  private heldBytes = 0;

  constructor(
    bounds: CacheBounds,
    staleWindowMs: number,
    sizeOf: (key: string, value: V) => number = () => 0,
  ) {
    this.bounds = bounds;
    this.staleWindowMs = staleWindowMs;
    this.sizeOf = sizeOf;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Estimated bytes held (sizeOf summed over the entries). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** The slot, fresh or stale; undefined (and forgotten) once past its stale window. */
  get(key: string, now: number): CacheSlot<V> | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (now >= slot.staleUntil) {
      this.remove(key, slot);
      return undefined;
    }
    if (now - slot.touchedAt >= TOUCH_INTERVAL_MS) {
      slot.touchedAt = now;
      this.slots.delete(key);
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Stores `value` for `ttlSeconds`; a TTL of 0 is not cached (RFC 1035 §3.2.1). */
  set(key: string, value: V, ttlSeconds: number, now: number): void {
    if (ttlSeconds <= 0 || this.bounds.entries <= 0) return;
    const bytes = this.sizeOf(key, value);
    // One value over the whole budget would only evict everything else.
    if (bytes > this.bounds.bytes) return;
    const expiresAt = now + ttlSeconds * 1000;
    this.delete(key);
    this.slots.set(key, {
      value,
      expiresAt,
      staleUntil: expiresAt + this.staleWindowMs,
      failedRefreshUntil: 0,
      touchedAt: now,
      bytes,
    });
    this.heldBytes += bytes;
    this.evictOverflow();
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot) this.remove(key, slot);
  }

  clear(): void {
    this.slots.clear();
    this.heldBytes = 0;
  }

  resize(bounds: CacheBounds): void {
    this.bounds = bounds;
    this.evictOverflow();
  }

  private remove(key: string, slot: CacheSlot<V>): void {
    this.slots.delete(key);
    this.heldBytes -= slot.bytes;
  }

  /** Drops least recently used entries until both bounds hold. */
  private evictOverflow(): void {
    const { entries, bytes } = this.bounds;
    if (this.slots.size <= entries && this.heldBytes <= bytes) return;
    for (const [key, slot] of this.slots) {
      this.remove(key, slot);
      if (this.slots.size <= entries && this.heldBytes <= bytes) return;
    }
  }
}
