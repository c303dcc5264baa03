// A tayga left running by an agent that died (SIGKILL, a crash outside systemd) holds the tun:
// the next agent's supervisor must replace it instead of restarting its own tayga forever.
import { describe, expect, it } from "vitest";
import {
  type ChildHandle,
  type ProcessTable,
  TaygaSupervisor,
} from "../../../src/relay-agent/nat64/tayga-supervisor.ts";

const CONF = "/var/lib/nat64-relay/tayga.conf";

/** Processes by pid with the config each tayga was started with; some ignore SIGTERM. */
function processTable(orphans: Map<number, { conf: string; ignoresTerm: boolean }>) {
  const signals: string[] = [];
  const table: ProcessTable = {
    taygaWithConfig: async (confPath) =>
      [...orphans].filter(([, process]) => process.conf === confPath).map(([pid]) => pid),
    signal: (pid, signal) => {
      signals.push(`${signal} ${pid}`);
      const process = orphans.get(pid);
      if (process && (signal === "SIGKILL" || !process.ignoresTerm)) orphans.delete(pid);
    },
  };
  return { table, signals };
}

function launcher(started: string[]) {
  return (command: string, args: readonly string[]): ChildHandle => {
    started.push([command, ...args].join(" "));
    return { pid: 7, kill: () => {}, onExit: () => {} };
  };
}

describe("an orphaned tayga", () => {
  it("started with our config is stopped before ours starts, and the log says so", async () => {
    const orphans = new Map([
      [4242, { conf: CONF, ignoresTerm: false }],
      [5151, { conf: "/elsewhere/tayga.conf", ignoresTerm: false }],
    ]);
    const { table, signals } = processTable(orphans);
    const started: string[] = [];
    const logs: string[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: CONF,
      processes: table,
      launch: launcher(started),
      log: (message) => logs.push(message),
    });
    await supervisor.start();
    expect(signals).toEqual(["SIGTERM 4242"]);
    expect([...orphans.keys()]).toEqual([5151]);
    expect(started).toEqual([`tayga --nodetach --config ${CONF}`]);
    expect(logs).toEqual([
      `tayga: replacing an orphaned tayga for ${CONF} (pid 4242) left by an earlier agent`,
    ]);
    await supervisor.stop();
  });

  it("that ignores SIGTERM is killed after the grace period", async () => {
    const orphans = new Map([[4242, { conf: CONF, ignoresTerm: true }]]);
    const { table, signals } = processTable(orphans);
    const started: string[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: CONF,
      processes: table,
      orphanGraceMs: 100,
      launch: launcher(started),
    });
    await supervisor.start();
    expect(signals).toEqual(["SIGTERM 4242", "SIGKILL 4242"]);
    expect(orphans.size).toBe(0);
    expect(started).toHaveLength(1);
    await supervisor.stop();
  });

  it("is not looked for while our own tayga runs", async () => {
    const orphans = new Map<number, { conf: string; ignoresTerm: boolean }>();
    const { table, signals } = processTable(orphans);
    const started: string[] = [];
    const supervisor = new TaygaSupervisor({
      confPath: CONF,
      processes: table,
      launch: launcher(started),
    });
    await supervisor.start();
    // Our child now matches the config too; starting again must not signal it.
    orphans.set(7, { conf: CONF, ignoresTerm: false });
    await supervisor.start();
    expect(signals).toEqual([]);
    expect(started).toHaveLength(1);
    await supervisor.stop();
  });
});
