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
});
