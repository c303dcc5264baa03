import pino from "pino";
import { describe, expect, it } from "vitest";
import { startDnsWorkers, type WorkerHandle } from "../../../src/relay-agent/dns/dns-workers.ts";
import { heapLimits } from "../../../src/relay-agent/dns/heap.ts";
import type { ToWorker } from "../../../src/relay-agent/dns/worker-protocol.ts";
import {
  type RestartTimers,
  WorkerRestarts,
} from "../../../src/relay-agent/dns/worker-restarts.ts";
import { resolvedConfig } from "../nat64/helpers.ts";

type ExitListener = (code: number | null, signal: string | null) => void;

/** A worker that answers configs at once, or dies when told to (at start, or later). */
class FakeWorker implements WorkerHandle {
  readonly received: ToWorker[] = [];
  private readonly messageListeners = new Set<(message: unknown) => void>();
  private readonly exitListeners = new Set<ExitListener>();
  private alive = true;

  readonly limits: WorkerHandle["limits"];
  private readonly diesOnConfig: boolean;

  constructor(limits: WorkerHandle["limits"], diesOnConfig: boolean) {
    this.limits = limits;
    this.diesOnConfig = diesOnConfig;
  }

  send(message: ToWorker): void {
    this.received.push(message);
    if (message.kind === "nat64-relay:stop") queueMicrotask(() => this.die(0));
    if (message.kind !== "nat64-relay:config") return;
    queueMicrotask(() =>
      this.diesOnConfig ? this.die(1) : this.emit({ kind: "nat64-relay:applied" }),
    );
  }

  private emit(message: unknown): void {
    for (const listener of [...this.messageListeners]) listener(message);
  }

  die(code: number): void {
    if (!this.alive) return;
    this.alive = false;
    for (const listener of [...this.exitListeners]) listener(code, null);
    this.exitListeners.clear();
  }

  onMessage = (listener: (message: unknown) => void) => void this.messageListeners.add(listener);
  offMessage = (listener: (message: unknown) => void) =>
    void this.messageListeners.delete(listener);
  onceExit = (listener: ExitListener) => void this.exitListeners.add(listener);
  offExit = (listener: ExitListener) => void this.exitListeners.delete(listener);
  connected = () => this.alive;
  kill = () => this.die(137);
}

/** A clock that moves only when told to; timers run when it passes their time. */
class FakeTimers implements RestartTimers {
  private time = 0;
  private readonly timers = new Map<number, { at: number; run: () => void }>();
  private nextId = 0;
  now = () => this.time;
  setTimeout = (run: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, run });
    return id;
  };
  clearTimeout = (handle: unknown) => void this.timers.delete(handle as number);
  get pending(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.time);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.timers].sort(([, a], [, b]) => a.at - b.at)) {
      if (timer.at > this.time) continue;
      this.timers.delete(id);
      timer.run();
    }
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function harness(options: { count: number; diesOnConfig?: (index: number) => boolean }) {
  const spawned: FakeWorker[] = [];
  const timers = new FakeTimers();
  const lines: { msg: string; restartInMs?: number; deathsInARow?: number }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const workers = startDnsWorkers({
    kind: "thread",
    count: options.count,
    cacheBytes: resolvedConfig().cacheBytes,
    logger,
    // random 0: every wait is the lower end of its step, so the numbers below are exact.
    restarts: new WorkerRestarts({ timers, random: () => 0 }),
    spawn: (limits) => {
      const worker = new FakeWorker(limits, options.diesOnConfig?.(spawned.length) ?? false);
      spawned.push(worker);
      return worker;
    },
  });
  const configs = (worker: FakeWorker | undefined) =>
    worker?.received.filter((m) => m.kind === "nat64-relay:config").map((m) => m.serial);
  return { workers, spawned, timers, lines, configs };
}

describe("DNS worker restarts", () => {
  it("a worker that died is started again after the wait, with the config applied now; the other keeps serving", async () => {
    const { workers, spawned, timers, lines, configs } = harness({ count: 2 });
    await workers.apply(resolvedConfig(), 7);
    spawned[0]?.die(1);
    expect(spawned).toHaveLength(2);
    expect(timers.pending).toEqual([125]);
    expect(lines.map((line) => line.msg)).toEqual([
      "a DNS worker died; starting another in 125 ms",
    ]);
    expect(lines[0]).toMatchObject({ restartInMs: 125, deathsInARow: 1 });
    timers.advance(124);
    expect(spawned).toHaveLength(2);
    timers.advance(1);
    await settle();
    expect(spawned).toHaveLength(3);
    expect(configs(spawned[2])).toEqual([7]);
    expect(spawned[2]?.limits).toEqual(heapLimits(resolvedConfig().cacheBytes));
    // The survivor was left alone: its one config, no stop, still up.
    expect(spawned[1]?.received.map((m) => m.kind)).toEqual(["nat64-relay:config"]);
    expect(spawned[1]?.connected()).toBe(true);
    await workers.close();
  });

  it("quick deaths in a row double the wait up to the cap, one log line each", async () => {
    const { workers, spawned, timers, lines } = harness({ count: 1, diesOnConfig: (i) => i > 0 });
    await workers.apply(resolvedConfig(), 1);
    spawned[0]?.die(1);
    const waits: number[] = [];
    for (let death = 0; death < 9; death++) {
      const [wait = -1] = timers.pending;
      waits.push(wait);
      timers.advance(wait);
      await settle();
    }
    expect(waits).toEqual([125, 250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(spawned).toHaveLength(10);
    expect(lines.map((line) => line.restartInMs)).toEqual([...waits, 5000]);
    expect(
      lines.every((line) => line.msg.startsWith("a DNS worker died; starting another in")),
    ).toBe(true);
    await workers.close();
  });

  it("a worker that stayed up 30 s before it died starts the series over", async () => {
    const { workers, spawned, timers, lines } = harness({ count: 1 });
    await workers.apply(resolvedConfig(), 1);
    spawned[0]?.die(1);
    timers.advance(125);
    await settle();
    spawned[1]?.die(1);
    timers.advance(250);
    await settle();
    timers.advance(30_000);
    spawned[2]?.die(1);
    expect(lines.map((line) => [line.restartInMs, line.deathsInARow])).toEqual([
      [125, 1],
      [250, 2],
      [125, 1],
    ]);
    await workers.close();
  });

  it("a config applied while a restart waits reaches the replacement, with its heap limits", async () => {
    const { workers, spawned, timers, configs } = harness({ count: 2 });
    await workers.apply(resolvedConfig(), 1);
    spawned[0]?.die(1);
    // New cacheBytes: the survivor is replaced now; the dead one's replacement comes later.
    await workers.apply(resolvedConfig({ cacheBytes: 4 * 1024 * 1024 }), 2);
    expect(spawned.map((worker) => worker.limits.oldSpaceMb)).toEqual([192, 192, 72]);
    timers.advance(125);
    await settle();
    expect(spawned.map((worker) => worker.limits.oldSpaceMb)).toEqual([192, 192, 72, 72]);
    expect(spawned.map(configs)).toEqual([[1], [1], [2], [2]]);
    expect(spawned.map((worker) => worker.connected())).toEqual([false, false, true, true]);
    await workers.close();
  });

  it("closing the agent cancels a pending restart", async () => {
    const { workers, spawned, timers } = harness({ count: 2 });
    await workers.apply(resolvedConfig(), 1);
    spawned[0]?.die(1);
    expect(timers.pending).toEqual([125]);
    await workers.close();
    expect(timers.pending).toEqual([]);
    timers.advance(60_000);
    await settle();
    expect(spawned).toHaveLength(2);
    expect(spawned.map((worker) => worker.connected())).toEqual([false, false]);
  });

  it("a worker stopped on purpose (close) is not restarted and not logged as a death", async () => {
    const { workers, spawned, timers, lines } = harness({ count: 2 });
    await workers.apply(resolvedConfig(), 1);
    await workers.close();
    expect(timers.pending).toEqual([]);
    expect(lines).toEqual([]);
    expect(spawned).toHaveLength(2);
  });
});
