// The tayga process: observed (is one running with our config file, is its tun up), planned
// (start it, or restart it when the config it was started with or its tun changed: effect
// `restart-translator`), undone (stopped) once the desired state has no tayga. Only `agent run`
// can start one, since only it stays to supervise it (restarted on exit, with backoff); for
// `agent apply` and the doctor a missing tayga is a finding, not a change.
import { procTaygaProcesses, type TaygaProcesses } from "../nat64/tayga-processes.ts";
import type { DataPlaneHost } from "./data-plane-host.ts";
import { type HealthCheck, leftover } from "./health-check.ts";
import type { DataPlaneRecord } from "./record.ts";
import { type HostResource, planned } from "./resource.ts";

export const TAYGA_PROCESS = "tayga-process";

export interface ObservedTayga {
  /** Taygas running with our config file. */
  readonly pids: readonly number[];
  /** Whether the tun tayga attaches to is there and up (a recreated tun needs a new tayga). */
  readonly tunUp: boolean;
}

const taygaCheck = (tun: string): HealthCheck => ({
  id: "tayga",
  title: `tayga running on ${tun}`,
  impact: "nothing translates: packets to the prefix go nowhere",
  fix: "start the agent (`systemctl restart nat64-relay-agent`); it supervises tayga",
  healthy: "process up",
});

export const taygaProcessesOf = (host: DataPlaneHost): TaygaProcesses =>
  host.tayga ?? procTaygaProcesses;

/** Why tayga must be (re)started; undefined when the one running is as desired. */
function restartReason(
  desired: { confPath: string; conf: string },
  tun: string,
  observed: ObservedTayga,
  record: DataPlaneRecord,
): string | undefined {
  if (observed.pids.length === 0) return "no tayga process";
  if (!observed.tunUp) return `its tun ${tun} is missing or down`;
  const startedWith = record.tayga?.confPath === desired.confPath ? record.tayga.conf : undefined;
  if (startedWith !== undefined && startedWith !== desired.conf) {
    return "started with another tayga.conf";
  }
  return undefined;
}

export const taygaProcessResource: HostResource<ObservedTayga> = {
  name: TAYGA_PROCESS,
  async observe({ desired, record, host }) {
    const confPath = desired.tayga?.confPath ?? record.tayga?.confPath;
    if (!confPath) return { pids: [], tunUp: false };
    const [pids, tunUp] = await Promise.all([
      taygaProcessesOf(host).running(confPath),
      desired.tun ? host.ip.linkUp(desired.tun.name) : Promise.resolve(false),
    ]);
    return { pids, tunUp };
  },
  plan(desired, observed, record, host) {
    const processes = taygaProcessesOf(host);
    if (desired.tayga) {
      const tun = desired.tun?.name ?? "its tun";
      const check = taygaCheck(tun);
      const { confPath, conf } = desired.tayga;
      const why = restartReason(desired.tayga, tun, observed, record);
      if (!why) return planned([check], []);
      const start = processes.start;
      if (!start) return planned([check], [], [], [{ check, detail: why }]);
      const running = observed.pids.length > 0;
      return planned(
        [check],
        [
          {
            resource: TAYGA_PROCESS,
            area: "tayga",
            summary: running ? `restart tayga (${why})` : `start tayga --config ${confPath}`,
            effects: ["restart-translator"],
            drift: { check, detail: why },
            undo: false,
            run: async (current) => {
              await start(confPath);
              return { ...current, tayga: { confPath, conf } };
            },
          },
        ],
      );
    }
    const confPath = record.tayga?.confPath;
    if (!confPath) return planned([], []);
    const running = observed.pids.length > 0;
    return planned(
      [],
      [
        {
          resource: TAYGA_PROCESS,
          area: "tayga",
          summary: running
            ? `stop tayga (pid ${observed.pids.join(", ")})`
            : "forget the tayga it started (not running)",
          effects: [],
          drift: leftover(running ? "tayga still running" : "tayga left in the record"),
          undo: true,
          run: async (current) => {
            if (running) await processes.stop(confPath);
            const { tayga: _stopped, ...rest } = current;
            return rest;
          },
        },
      ],
    );
  },
};
