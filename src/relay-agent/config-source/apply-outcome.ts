// What applying one candidate config did, in a type the caller can switch on: the status report
// and the log both read it (docs/managed.md).

export type ApplyOutcome =
  /** Running now; `changes` says what was different (empty on a plain re-apply). */
  | { readonly kind: "applied"; readonly changes: readonly string[] }
  /** Not applied: the previous config keeps running. `reasons` are one line each. */
  | { readonly kind: "refused"; readonly reasons: readonly string[] };

/** A config as some source offers it, not yet validated against this node. */
export interface ConfigCandidate {
  readonly revision: number;
  /** The API's config object, exactly as it came. */
  readonly config: Record<string, unknown>;
  readonly origin: "api" | "last-known-good";
}

export type ApplyCandidate = (candidate: ConfigCandidate) => Promise<ApplyOutcome>;
