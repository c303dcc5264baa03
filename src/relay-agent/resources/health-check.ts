// What `agent doctor` says about one part of the host. It is read off the same plans `agent apply`
// makes: a part whose plan is empty passes, one with changes fails and names what differs (each
// change's `drift`), so doctor and apply cannot disagree.
// See docs/design.md, "Health and doctor".

export interface HealthCheck {
  /** Stable id for `doctor --json` (`sysctl`, `table`). */
  readonly id: string;
  readonly title: string;
  /** What goes wrong while the host differs: doctor's "cause" (absent: the detail says it). */
  readonly impact?: string;
  /** How to bring the host back: doctor's "fix". */
  readonly fix: string;
  /** The detail shown when nothing differs. */
  readonly healthy: string;
  /** "warn" for a part the relay works without (an accelerator); default "fail". */
  readonly severity?: "fail" | "warn";
}

export interface HealthResult {
  readonly id: string;
  readonly title: string;
  readonly status: "pass" | "fail" | "warn";
  readonly detail: string;
  readonly cause?: string;
  readonly fix?: string;
}

/** Run `agent apply`: the fix for every part apply owns. */
export const APPLY_FIX = "run `nat64-relay agent apply` (or restart the agent)";

/**
 * One result per check, in the order the checks come (first declaration of an id wins), each
 * failing with the drift of every change planned under it.
 */
export function judgeHealth(
  parts: readonly { readonly checks: readonly HealthCheck[]; readonly drifts: readonly Drift[] }[],
): HealthResult[] {
  const checks = new Map<string, HealthCheck>();
  const drifts = new Map<string, string[]>();
  for (const part of parts) {
    for (const check of [...part.checks, ...part.drifts.map((drift) => drift.check)]) {
      if (!checks.has(check.id)) checks.set(check.id, check);
    }
    for (const drift of part.drifts) {
      drifts.set(drift.check.id, [...(drifts.get(drift.check.id) ?? []), drift.detail]);
    }
  }
  return [...checks.values()].map((check) => {
    const found = [...new Set(drifts.get(check.id) ?? [])];
    if (found.length === 0) {
      return { id: check.id, title: check.title, status: "pass", detail: check.healthy };
    }
    return {
      id: check.id,
      title: check.title,
      status: check.severity ?? "fail",
      detail: found.join(", "),
      ...(check.impact ? { cause: check.impact } : {}),
      fix: check.fix,
    };
  });
}

/** What one planned change says to the doctor: the check it breaks and what differs. */
export interface Drift {
  readonly check: HealthCheck;
  readonly detail: string;
}

/** Undos of what an earlier config added: reported together, whatever resource plans them. */
export const LEFTOVERS_CHECK: HealthCheck = {
  id: "leftovers",
  title: "nothing left over from an earlier config",
  impact:
    "the host keeps changes the current config does not want (forwarding, a tun, routes, files, a table or an advertised route)",
  fix: APPLY_FIX,
  healthy: "none",
};

export const leftover = (detail: string): Drift => ({ check: LEFTOVERS_CHECK, detail });
