// Per-source token buckets (config `rateLimit`). Pure: the caller passes the clock.

export interface RateLimitSettings {
  readonly queriesPerSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Sources tracked at once; the least recently seen are forgotten first (they refill anyway). */
const MAX_SOURCES = 100_000;

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly maxSources: number;

  constructor(settings: RateLimitSettings, maxSources = MAX_SOURCES) {
    this.ratePerMs = settings.queriesPerSecond / 1000;
    this.burst = settings.burst;
    this.maxSources = maxSources;
  }

  get trackedSources(): number {
    return this.buckets.size;
  }

  /** Takes one token from `source`'s bucket; false when it is empty. */
  allow(source: string, now: number): boolean {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      bucket = { tokens: this.burst, updatedAt: now };
      this.buckets.set(source, bucket);
      if (this.buckets.size > this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else if (now > bucket.updatedAt) {
      bucket.tokens = Math.min(
        this.burst,
        bucket.tokens + (now - bucket.updatedAt) * this.ratePerMs,
      );
      bucket.updatedAt = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
