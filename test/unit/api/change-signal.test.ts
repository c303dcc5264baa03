import { describe, expect, it } from "vitest";
import { InProcessNotifier, PollingSignal } from "../../../src/api/change-signal.ts";

describe("change signals", () => {
  it("the in-process notifier wakes every waiter at once and forgets them", async () => {
    const notifier = new InProcessNotifier();
    const started = Date.now();
    const waits = [notifier.wait(10_000), notifier.wait(10_000)];
    expect(notifier.waiting).toBe(2);
    notifier.notify();
    await Promise.all(waits);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(notifier.waiting).toBe(0);
  });

  it("the in-process notifier resolves at the timeout when nothing happens", async () => {
    const notifier = new InProcessNotifier();
    const started = Date.now();
    await notifier.wait(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(notifier.waiting).toBe(0);
  });

  it("the polling signal sleeps one interval, or less when the wait is shorter", async () => {
    // Margins are wide on purpose: CI machines stall; the point is "one interval, not the wait".
    const signal = new PollingSignal(300);
    let started = Date.now();
    await signal.wait(10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5000);
    started = Date.now();
    await signal.wait(5);
    expect(Date.now() - started).toBeLessThan(250);
  });
});
