// Runs host tools (nft, ip, tayga, systemctl) with a timeout; the one place that spawns them.
import { execFile } from "node:child_process";

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

export type Exec = (
  command: string,
  args: readonly string[],
  options?: { input?: string; timeoutMs?: number },
) => Promise<ExecResult>;

export class HostCommandError extends Error {
  readonly command: string;
  readonly stderr: string;

  constructor(command: string, stderr: string, cause?: unknown) {
    super(`${command} failed: ${stderr.trim() || String(cause)}`);
    this.name = "HostCommandError";
    this.command = command;
    this.stderr = stderr;
  }
}

/** execFile with stdin support; rejects with a HostCommandError naming the command line. */
export const realExec: Exec = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { timeout: options.timeoutMs ?? 15_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new HostCommandError([command, ...args].join(" "), String(stderr), error));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
