// Runs the fast path for the agent: one apply = observe, plan, run the changes, keep the record
// of what was added; then the mirror follows tayga's assignments until the next apply. A load
// that fails is said once, in one line, and the agent goes on with tayga alone.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { BpfTools } from "./bpf-tools.ts";
import { readCounters } from "./counters.ts";
import {
  type FastPathDesired,
  type FastPathRecord,
  findOurProgram,
  observeFastPath,
  planFastPath,
  TAYGA_ONLY,
} from "./fast-path-state.ts";
import { readMappedState } from "./map-sync.ts";
import { renderFastPathMetrics } from "./metrics.ts";
import { FastPathMirror } from "./mirror.ts";

export interface FastPathReport {
  readonly changes: readonly string[];
  readonly warnings: readonly string[];
}

export async function readFastPathRecord(path: string): Promise<FastPathRecord | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as FastPathRecord) : undefined;
}

async function saveRecord(path: string, record: FastPathRecord | undefined): Promise<void> {
  if (!record) {
    await rm(path, { force: true });
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
}

/** Plans toward `desired` (undefined: remove) and runs the plan; saves after each change. */
export async function applyFastPath(
  desired: FastPathDesired | undefined,
  tools: BpfTools,
  recordPath: string,
): Promise<FastPathReport & { readonly record: FastPathRecord | undefined }> {
  let record = await readFastPathRecord(recordPath);
  const observed = await observeFastPath(desired, record, tools);
  const plan = planFastPath(desired, observed, record, tools);
  for (const change of plan.changes) {
    record = await change.run(record);
    await saveRecord(recordPath, record);
  }
  const attempted = plan.changes.some((change) => change.kind === "attach");
  const failed = attempted ? record?.loadFailed : undefined;
  // A failed attach changed nothing on the host: the warning is its one line (the controller
  // says it once per agent process, not on every retry).
  const done = plan.changes.filter((change) => !(failed && change.kind === "attach"));
  return {
    changes: done.map((change) => change.summary),
    warnings: failed
      ? [...plan.warnings, `fast path not loaded: ${failed.reason}; ${TAYGA_ONLY}`]
      : plan.warnings,
    record,
  };
}

export interface FastPathControllerOptions {
  readonly tools: BpfTools;
  readonly recordPath: string;
  readonly log?: (message: string) => void;
  readonly exclusive?: (task: () => Promise<void>) => Promise<void>;
  readonly mirrorIntervalMs?: number;
}

export class FastPathController {
  private readonly options: FastPathControllerOptions;
  private readonly mirror: FastPathMirror;
  /** The last apply's warnings: the same reason is not said again on every apply. */
  private said = new Set<string>();

  constructor(options: FastPathControllerOptions) {
    this.options = options;
    this.mirror = new FastPathMirror({
      tools: options.tools,
      ...(options.log ? { log: options.log } : {}),
      ...(options.exclusive ? { exclusive: options.exclusive } : {}),
      ...(options.mirrorIntervalMs === undefined ? {} : { intervalMs: options.mirrorIntervalMs }),
    });
  }

  async apply(desired: FastPathDesired | undefined): Promise<FastPathReport> {
    const result = await applyFastPath(desired, this.options.tools, this.options.recordPath);
    const attached = desired && result.record && !result.record.loadFailed;
    this.mirror.follow(attached ? desired : undefined);
    const fresh = result.warnings.filter((warning) => !this.said.has(warning));
    this.said = new Set(result.warnings);
    return { changes: result.changes, warnings: fresh };
  }

  /** Its Prometheus lines (docs/fast-path.md); empty when the config does not want it. */
  async metrics(desired: FastPathDesired | undefined): Promise<string> {
    if (!desired) return "";
    const { tools } = this.options;
    const ours = await findOurProgram(tools, desired).catch(() => undefined);
    if (!ours) return renderFastPathMetrics({ active: false, clients: 0 });
    const [counters, state] = await Promise.all([
      readCounters(tools, ours.ids.counters),
      readMappedState(tools, ours.ids),
    ]);
    return renderFastPathMetrics({ active: true, clients: state.v6ToV4.size, counters });
  }

  close(): void {
    this.mirror.close();
  }
}
