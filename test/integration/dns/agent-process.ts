// `nat64-relay agent run` as a real child process for the integration tests, with its output
// collected, and helpers to wait for a condition and read its RSS and metrics.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { watchChild } from "./nsd-upstream.ts";

const BIN = fileURLToPath(new URL("../../../bin/nat64-relay.js", import.meta.url));

export interface AgentProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<number | null>;
}

export function agent(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, [BIN, "agent", "run", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NAT64_RELAY_LOG_LEVEL: "info", ...env },
  });
  return { child, ...watchChild(child) };
}

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resident set size of a process, MB (0 once it is gone). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** One sample of a metric from the agent's /metrics (labels as written, e.g. `{reason="idle"}`). */
export async function metricValue(metricsPort: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}
