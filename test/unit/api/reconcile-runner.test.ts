import { describe, expect, it } from "vitest";
import type { SyncReport } from "../../../src/api/reconciler/report.ts";
import { ReconcileRunner } from "../../../src/api/reconciler/runner.ts";

const report: SyncReport = {
  at: "",
  mode: "plan",
  ok: true,
  relays: {},
  changes: [],
  steps: [],
  pendingCleanups: [],
};

describe("reconcile runner", () => {
  it("coalesces a burst of change requests into one run", async () => {
    let runs = 0;
    const runner = new ReconcileRunner(
      async () => {
        runs += 1;
        return report;
      },
      () => {},
    );
    for (let i = 0; i < 20; i++) runner.request(10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toBe(1);
    await runner.stop();
  });

  it("never runs two reconciles at once; a sync during a run gets a fresh run after it", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const runner = new ReconcileRunner(
      async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 30));
        active -= 1;
        runs += 1;
        return report;
      },
      () => {},
    );
    await Promise.all([runner.runNow(), runner.runNow(), runner.runNow()]);
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    await runner.stop();
  });
});
