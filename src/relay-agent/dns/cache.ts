// A bounded LRU cache with TTLs and a serve-stale window (RFC 8767). Pure: the caller passes
// the clock. Keys are real names (wire-form keys), so every split zone mapping to the same
// real suffix shares entries.

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
  private capacity: number;
  private readonly staleWindowMs: number;

  constructor(capacity: number, staleWindowMs: number) {
    this.capacity = capacity;
    this.staleWindowMs = staleWindowMs;
  }

  get size(): number {
    return this.slots.size;
  }

  /** The slot, fresh or stale; undefined (and forgotten) once past its stale window. */
  get(key: string, now: number): CacheSlot<V> | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (now >= slot.staleUntil) {
      this.slots.delete(key);
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
    if (ttlSeconds <= 0 || this.capacity <= 0) return;
    const expiresAt = now + ttlSeconds * 1000;
    this.slots.delete(key);
    this.slots.set(key, {
      value,
      expiresAt,
      staleUntil: expiresAt + this.staleWindowMs,
      failedRefreshUntil: 0,
      touchedAt: now,
    });
    this.evictOverflow();
  }

  delete(key: string): void {
    this.slots.delete(key);
  }

  clear(): void {
    this.slots.clear();
  }

  resize(capacity: number): void {
    this.capacity = capacity;
    this.evictOverflow();
  }

  private evictOverflow(): void {
    if (this.slots.size <= this.capacity) return;
    for (const key of this.slots.keys()) {
      this.slots.delete(key);
      if (this.slots.size <= this.capacity) return;
    }
  }
}
