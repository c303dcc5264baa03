// Runs tayga as a supervised child: restarted with exponential backoff whenever it exits or
// cannot be started at all; health = the process is up and its tun device exists and is up.
import { type ChildProcess, spawn } from "node:child_process";
import { isTaygaWithConfig, pidsWithCommandLine } from "../host/processes.ts";

export interface ChildHandle {
  readonly pid: number | undefined;
  kill(signal?: NodeJS.Signals): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

export type Launcher = (command: string, args: readonly string[]) => ChildHandle;

/**
 * Spawns for real. The end of a child is its `close` event: a spawn that fails (ENOENT, EACCES)
 * emits `error` and `close` but never `exit`, and must count as an exit all the same.
 */
export const spawnLauncher: Launcher = (command, args) => {
  const child: ChildProcess = spawn(command, [...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  child.on("error", (error) => {
    stderr = `${stderr}${stderr ? "\n" : ""}${error.message}`;
  });
  let reported = false;
  return {
    get pid() {
      return child.pid;
    },
    kill: (signal) => {
      child.kill(signal);
    },
    onExit: (listener) => {
      child.on("close", (code, signal) => {
        if (!reported && stderr.trim()) process.stderr.write(`${command}: ${stderr.trim()}\n`);
        reported = true;
        listener(code, signal);
      });
    },
  };
};

/** The machine's processes, as far as the supervisor needs them (faked in tests). */
export interface ProcessTable {
  /** Pids of tayga processes started with this config file, whoever started them. */
  taygaWithConfig(confPath: string): Promise<number[]>;
  /** Sends a signal; a process already gone is not an error. */
  signal(pid: number, signal: NodeJS.Signals): void;
}

export const realProcessTable: ProcessTable = {
  taygaWithConfig: (confPath) => pidsWithCommandLine(isTaygaWithConfig(confPath)),
  signal: (pid, signal) => {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  },
};

export interface TaygaSupervisorOptions {
  readonly confPath: string;
  readonly launch?: Launcher;
  /** Called before each (re)start: makes sure the tun and its routes exist. */
  readonly beforeStart?: () => Promise<void>;
  readonly log?: (message: string) => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A run this long resets the backoff. */
  readonly stableAfterMs?: number;
  readonly binary?: string;
  /**
   * Runs a restart that the supervisor starts on its own (after an exit), so its beforeStart
   * repair never overlaps the owner's other host changes. Starts the owner asks for (start,
   * restart) run directly: the owner is already holding its turn.
   */
  readonly exclusive?: (task: () => Promise<void>) => Promise<void>;
  /** Where orphaned taygas are looked for (default: /proc and kill(2)). */
  readonly processes?: ProcessTable;
  /** How long an orphan gets to exit after SIGTERM before SIGKILL (ms). */
  readonly orphanGraceMs?: number;
}

export class TaygaSupervisor {
  private readonly options: TaygaSupervisorOptions;
  private child: ChildHandle | undefined;
  private stopped = true;
  private backoffMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  /** How many times tayga was started, the first included. */
  starts = 0;

  constructor(options: TaygaSupervisorOptions) {
    this.options = options;
    this.backoffMs = options.initialBackoffMs ?? 100;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  running(): boolean {
    return this.child !== undefined;
  }

  /** Starts tayga, first replacing an orphan of an earlier agent (restarts after exits do not look). */
  async start(): Promise<void> {
    this.stopped = false;
    if (!this.child) {
      await this.replaceOrphans().catch((error: Error) =>
        this.options.log?.(`tayga: cannot stop an orphaned tayga: ${error.message}`),
      );
    }
    await this.launch();
  }

  /** Stops and starts again now (config changed). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async launch(): Promise<void> {
    if (this.stopped || this.child) return;
    try {
      await this.options.beforeStart?.();
    } catch (error) {
      this.options.log?.(`tayga: preparing the tun failed: ${(error as Error).message}`);
      this.scheduleRestart();
      return;
    }
    if (this.stopped || this.child) return;
    const launch = this.options.launch ?? spawnLauncher;
    this.starts++;
    this.startedAt = Date.now();
    let child: ChildHandle;
    try {
      child = launch(this.options.binary ?? "tayga", [
        "--nodetach",
        "--config",
        this.options.confPath,
      ]);
    } catch (error) {
      this.options.log?.(`tayga: cannot start: ${(error as Error).message}`);
      this.scheduleRestart();
      return;
    }
    this.child = child;
    child.onExit((code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopped) return;
      this.options.log?.(
        `tayga exited (${signal ?? `code ${code}`}); restarting in ${this.backoffMs} ms`,
      );
      this.scheduleRestart();
    });
  }

  /**
   * A tayga started with our config file that is not our child was left by an agent that died
   * without stopping it (SIGKILL, a crash outside systemd). It holds the tun, so a new tayga
   * could never attach and would be restarted forever: it is stopped (SIGTERM, then SIGKILL)
   * and replaced by one this supervisor owns.
   */
  private async replaceOrphans(): Promise<void> {
    const processes = this.options.processes ?? realProcessTable;
    const confPath = this.options.confPath;
    const orphans = await processes.taygaWithConfig(confPath);
    if (orphans.length === 0) return;
    this.options.log?.(
      `tayga: replacing an orphaned tayga for ${confPath} (pid ${orphans.join(", ")}) left by an earlier agent`,
    );
    for (const pid of orphans) processes.signal(pid, "SIGTERM");
    const grace = this.options.orphanGraceMs ?? 2000;
    const deadline = Date.now() + grace;
    let left = orphans;
    while (left.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, grace)));
      left = await processes.taygaWithConfig(confPath);
    }
    for (const pid of left) processes.signal(pid, "SIGKILL");
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    const stable = Date.now() - this.startedAt >= (this.options.stableAfterMs ?? 30_000);
    const delay = stable ? (this.options.initialBackoffMs ?? 100) : this.backoffMs;
    this.backoffMs = Math.min(delay * 2, this.options.maxBackoffMs ?? 5000);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      const exclusive = this.options.exclusive ?? ((task) => task());
      void exclusive(() => this.launch());
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, 2000);
      child.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
