import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type ChildHandle,
  TaygaSupervisor,
} from "../../../src/relay-agent/nat64/tayga-supervisor.ts";

class FakeChild implements ChildHandle {
  readonly pid: number;
  private readonly listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> =
    [];
  killed: NodeJS.Signals | undefined;
  constructor(pid: number) {
    this.pid = pid;
  }
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    this.killed = signal;
    queueMicrotask(() => this.exit(null, signal));
  }
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.listeners.push(listener);
  }
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    for (const listener of this.listeners) listener(code, signal);
  }
}

describe("TaygaSupervisor", () => {
  afterEach(() => vi.useRealTimers());

  it("starts tayga in the foreground with the config, after preparing the tun", async () => {
    const order: string[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: "/var/lib/nat64-relay/tayga.conf",
      beforeStart: async () => {
        order.push("tun");
      },
      launch: (command, args) => {
        order.push([command, ...args].join(" "));
        return new FakeChild(1);
      },
    });
    await supervisor.start();
    expect(order).toEqual(["tun", "tayga --nodetach --config /var/lib/nat64-relay/tayga.conf"]);
    expect(supervisor.running()).toBe(true);
    await supervisor.stop();
  });

  it("restarts tayga with growing backoff each time it exits, and not after stop", async () => {
    vi.useFakeTimers();
    const children: FakeChild[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: "c",
      initialBackoffMs: 100,
      maxBackoffMs: 400,
      launch: () => {
        const child = new FakeChild(children.length + 1);
        children.push(child);
        return child;
      },
    });
    await supervisor.start();
    children[0]?.exit(1, null);
    await vi.advanceTimersByTimeAsync(99);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    children[1]?.exit(null, "SIGKILL");
    await vi.advanceTimersByTimeAsync(199);
    expect(children).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(3);
    expect(supervisor.starts).toBe(3);
    await supervisor.stop();
    expect(children[2]?.killed).toBe("SIGTERM");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(children).toHaveLength(3);
  });

  it("counts a tayga that cannot be spawned as exited and keeps retrying with backoff", async () => {
    const logs: string[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: "c",
      binary: "/nonexistent/nat64-relay-test/tayga",
      initialBackoffMs: 10,
      maxBackoffMs: 20,
      log: (message) => logs.push(message),
    });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await supervisor.start();
      const deadline = Date.now() + 3000;
      while (supervisor.starts < 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(supervisor.starts).toBeGreaterThanOrEqual(3);
      expect(logs[0]).toMatch(/^tayga exited \(code -2\); restarting in 10 ms$/);
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining("ENOENT"));
    } finally {
      await supervisor.stop();
      stderr.mockRestore();
    }
    expect(supervisor.running()).toBe(false);
    const starts = supervisor.starts;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(supervisor.starts).toBe(starts);
  });

  it("retries when the launcher itself throws", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const supervisor = new TaygaSupervisor({
      confPath: "c",
      initialBackoffMs: 100,
      launch: () => {
        calls++;
        if (calls === 1) throw new Error("EACCES");
        return new FakeChild(calls);
      },
    });
    await supervisor.start();
    expect(supervisor.running()).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
    expect(supervisor.running()).toBe(true);
    await supervisor.stop();
  });

  it("runs the restarts it starts on its own through the owner's exclusive turn", async () => {
    vi.useFakeTimers();
    const children: FakeChild[] = [];
    const turns: string[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: "c",
      initialBackoffMs: 100,
      beforeStart: async () => {
        turns.push("beforeStart");
      },
      exclusive: async (task) => {
        turns.push("turn");
        await task();
      },
      launch: () => {
        const child = new FakeChild(children.length + 1);
        children.push(child);
        return child;
      },
    });
    await supervisor.start();
    expect(turns).toEqual(["beforeStart"]);
    children[0]?.exit(1, null);
    await vi.advanceTimersByTimeAsync(100);
    expect(turns).toEqual(["beforeStart", "turn", "beforeStart"]);
    expect(children).toHaveLength(2);
    await supervisor.stop();
  });
});
