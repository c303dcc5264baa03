// Waits between failed API calls: exponential, capped, with jitter so a fleet of agents that
// lost the API at the same moment does not come back in lockstep (docs/managed.md).

export interface BackoffPolicy {
  /** First wait after a failure (ms). */
  readonly initialMs: number;
  /** Upper bound of any wait (ms). */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

/**
 * The wait before retry number `failures` (1 = first retry): the exponential step
 * initial × 2^(failures-1), capped, then drawn uniformly from its upper half ("equal jitter"),
 * so it never drops to zero and never exceeds the cap. `random` returns [0, 1).
 */
export function backoffDelay(
  failures: number,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(step / 2 + (step / 2) * random());
}
