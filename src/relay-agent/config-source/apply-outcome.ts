// The shapes the API source exchanges with the agent: a candidate document it offers, and what
// applying it did. Structural subsets of the agent pipeline's ConfigCandidate and ApplyResult, so
// the source depends only on what it reads (docs/managed.md).
import type { Problem } from "../../core/errors.ts";

/** One candidate configuration, not validated yet. */
export type SourceCandidate =
  | { readonly ok: true; readonly origin: string; readonly document: unknown }
  | { readonly ok: false; readonly origin: string; readonly problems: readonly Problem[] };

/** What applying a candidate did: running now (with what changed), or refused (and why). */
export type SourceApplyResult =
  | {
      readonly ok: true;
      readonly changedKeys: readonly string[];
      readonly hostChanges: readonly string[];
    }
  | { readonly ok: false; readonly message: string; readonly problems: readonly Problem[] };

export type SourceCandidateHandler = (candidate: SourceCandidate) => Promise<SourceApplyResult>;

/** The last apply, as the status report carries it. */
export interface LastApply {
  readonly revision: number;
  readonly outcome: "applied" | "refused";
  readonly changes: readonly string[];
  readonly reasons: readonly string[];
  readonly at: string;
}

export function lastApplyOf(revision: number, result: SourceApplyResult, at: Date): LastApply {
  return result.ok
    ? {
        revision,
        outcome: "applied",
        changes: [...result.changedKeys.map((key) => `${key} changed`), ...result.hostChanges],
        reasons: [],
        at: at.toISOString(),
      }
    : {
        revision,
        outcome: "refused",
        changes: [],
        reasons: [
          result.message,
          ...result.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)),
        ],
        at: at.toISOString(),
      };
}
