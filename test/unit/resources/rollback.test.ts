// A failure injected at each step of an apply: the apply is refused with the step named, and
// the host is back at the previous state (translator and guard included).
import { describe, expect, it } from "vitest";
import type { RelayConfigInput } from "../../../src/core/index.ts";
import { AgentError } from "../../../src/relay-agent/errors.ts";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { Nat64DataPlane } from "../../../src/relay-agent/nat64/runtime.ts";
import type { ChildHandle } from "../../../src/relay-agent/nat64/tayga-supervisor.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "../nat64/helpers.ts";
import { failingHost } from "./failing-host.ts";
import { hostState, recordContent } from "./host-state.ts";

function launcher() {
  let running = 0;
  const launch = (): ChildHandle => {
    running++;
    const listeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
    let alive = true;
    return {
      pid: 100 + running,
      kill: (signal) =>
        queueMicrotask(() => {
          if (!alive) return;
          alive = false;
          running--;
          for (const listener of listeners) listener(null, signal ?? "SIGTERM");
        }),
      onExit: (listener) => listeners.push(listener),
    };
  };
  return { launch, running: () => running };
}

const TRANSITIONS: [string, Partial<RelayConfigInput>, Partial<RelayConfigInput>][] = [
  ["none → tayga", { engine: "none" }, { engine: "tayga" }],
  ["tayga → jool", { engine: "tayga" }, { engine: "jool" }],
  ["jool → tayga", { engine: "jool" }, { engine: "tayga" }],
  ["tayga → none", { engine: "tayga" }, { engine: "none" }],
  [
    "tayga: a new prefix and pool",
    {},
    { prefix: "fd4e:2a91:7c3d:9999::/96", pool: "192.168.0.0/20" },
  ],
];

describe("a failure at each step of an apply", () => {
  for (const [name, from, to] of TRANSITIONS) {
    it(`${name}: every step's failure leaves the previous state serving`, async () => {
      let step = 1;
      for (; ; step++) {
        const failing = failingHost(fakeHost({ routes: ["10.0.0.0/24"], jool: true }));
        const paths = hostPaths(await tempRoot());
        const tayga = launcher();
        const plane = new Nat64DataPlane({
          host: failing.host,
          paths,
          launch: tayga.launch,
          healthIntervalMs: 0,
          translatorAvailable: async () => true,
        });
        await plane.apply(resolvedConfig(from));
        const before = await hostState(failing.host, paths);
        const record = await recordContent(paths);
        const taygaBefore = tayga.running();
        failing.failAt(step);
        const outcome = await plane.apply(resolvedConfig(to)).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (!failing.failed) {
          // Past the last step: the apply went through.
          expect(outcome).toBeUndefined();
          await plane.close();
          break;
        }
        expect(outcome).toBeInstanceOf(AgentError);
        expect((outcome as AgentError).code).toBe("host_failed");
        expect((outcome as AgentError).message).toMatch(/^\[\w+\] .+ failed: injected failure at /);
        expect(await hostState(failing.host, paths)).toEqual(before);
        expect(await recordContent(paths)).toEqual(record);
        expect(tayga.running()).toBe(taygaBefore);
        await plane.close();
      }
      // Each transition has several steps; all of them were tried.
      expect(step).toBeGreaterThan(2);
      // One fresh host per step: slow on a shared machine.
    }, 60_000);
  }
});
