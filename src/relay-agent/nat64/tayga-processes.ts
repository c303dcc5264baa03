// tayga's processes as the data plane's tayga resource sees them: which ones run with our config
// file, and, where this command can supervise one (`agent run`), starting and restarting it.
// `agent apply`, the doctor and uninstall only look at /proc and send signals.
import { isTaygaWithConfig, pidsWithCommandLine } from "../host/processes.ts";

export interface TaygaProcesses {
  /** Pids of the taygas running with this config file. */
  running(confPath: string): Promise<number[]>;
  /**
   * Starts tayga under supervision (restarted whenever it exits) or, when one runs, stops and
   * starts it again (its config or its tun changed). Absent: this command cannot supervise one.
   */
  readonly start?: (confPath: string) => Promise<void>;
  /** Stops every tayga with this config file; returns the pids it stopped. */
  stop(confPath: string): Promise<number[]>;
}

/** /proc and kill(2): what a command without a supervisor can do. */
export const procTaygaProcesses: TaygaProcesses = {
  running: (confPath) => pidsWithCommandLine(isTaygaWithConfig(confPath)),
  async stop(confPath) {
    const pids = await pidsWithCommandLine(isTaygaWithConfig(confPath));
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
    }
    const deadline = Date.now() + 3000;
    while (
      Date.now() < deadline &&
      (await pidsWithCommandLine(isTaygaWithConfig(confPath))).length
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return pids;
  },
};
