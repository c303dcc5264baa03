// One line of doctor output: what was checked, how it went, and for a failure its cause and fix.

export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly cause?: string;
  readonly fix?: string;
}

const MARK: Record<CheckStatus, string> = { pass: "✔", fail: "✘", warn: "!", skip: "-" };

export function formatChecks(checks: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${MARK[check.status]} ${check.title}: ${check.detail}`);
    if (check.cause) lines.push(`    cause: ${check.cause}`);
    if (check.fix) lines.push(`    fix:   ${check.fix}`);
  }
  lines.push(verdict(checks));
  return lines.join("\n");
}

/** The last line: "all checks passed." only when every check ran and passed. */
function verdict(checks: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const [failed, warned, skipped] = [count("fail"), count("warn"), count("skip")];
  const notes = [warned && `${warned} warning(s)`, skipped && `${skipped} skipped`].filter(Boolean);
  if (failed) return `${failed} check(s) failed${notes.length ? `, ${notes.join(", ")}` : ""}.`;
  return notes.length ? `no check failed; ${notes.join(", ")}.` : "all checks passed.";
}

export function doctorExitCode(checks: readonly CheckResult[]): number {
  return checks.some((check) => check.status === "fail") ? 1 : 0;
}

export const pass = (id: string, title: string, detail: string): CheckResult => ({
  id,
  title,
  status: "pass",
  detail,
});

export const fail = (
  id: string,
  title: string,
  detail: string,
  cause: string,
  fix: string,
): CheckResult => ({ id, title, status: "fail", detail, cause, fix });

export const warn = (id: string, title: string, detail: string, fix?: string): CheckResult => ({
  id,
  title,
  status: "warn",
  detail,
  ...(fix ? { fix } : {}),
});

export const skip = (id: string, title: string, detail: string): CheckResult => ({
  id,
  title,
  status: "skip",
  detail,
});
