// The fast path between applies, while `agent run` runs: the mirror follows tayga's client
// assignments into the attached program's maps, and the metrics read its counters. Attaching
// and removing the program is the resource's job (resource.ts); this only follows its result.
import type { AcceleratorRuntime } from "../accelerator.ts";
import type { BpfTools } from "./bpf-tools.ts";
import { readCounters } from "./counters.ts";
import { type FastPathDesired, type FastPathRecord, findOurProgram } from "./fast-path-state.ts";
import { readMappedState } from "./map-sync.ts";
import { renderFastPathMetrics } from "./metrics.ts";
import { FastPathMirror } from "./mirror.ts";

export interface FastPathControllerOptions {
  readonly tools: BpfTools;
  readonly log?: (message: string) => void;
  readonly exclusive?: (task: () => Promise<void>) => Promise<void>;
  readonly mirrorIntervalMs?: number;
}

export class FastPathController implements AcceleratorRuntime {
  private readonly tools: BpfTools;
  private readonly mirror: FastPathMirror;
  private desired: FastPathDesired | undefined;

  constructor(options: FastPathControllerOptions) {
    this.tools = options.tools;
    this.mirror = new FastPathMirror({
      tools: options.tools,
      ...(options.log ? { log: options.log } : {}),
      ...(options.exclusive ? { exclusive: options.exclusive } : {}),
      ...(options.mirrorIntervalMs === undefined ? {} : { intervalMs: options.mirrorIntervalMs }),
    });
  }

  /** Mirrors only while the program is attached: a refused load leaves tayga alone. */
  follow(desired: unknown, record: unknown): void {
    this.desired = desired as FastPathDesired | undefined;
    const attached = this.desired && record && !(record as FastPathRecord).loadFailed;
    this.mirror.follow(attached ? this.desired : undefined);
  }

  /** Its Prometheus lines (docs/fast-path.md); empty when the config does not want it. */
  async metrics(): Promise<string> {
    const desired = this.desired;
    if (!desired) return "";
    const ours = await findOurProgram(this.tools, desired).catch(() => undefined);
    if (!ours) return renderFastPathMetrics({ active: false, clients: 0 });
    const [counters, state] = await Promise.all([
      readCounters(this.tools, ours.ids.counters),
      readMappedState(this.tools, ours.ids),
    ]);
    return renderFastPathMetrics({ active: true, clients: state.v6ToV4.size, counters });
  }

  close(): void {
    this.mirror.close();
  }
}
