// Follows tayga's dynamic.map while the agent runs: when tayga assigns a new client (or a pool
// address moves), the pair reaches the program's maps within a moment of tayga writing the
// file, and that client's next packets take the fast path. Until then tayga translates them,
// so nothing is ever translated with an address tayga does not agree with.
import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { BpfTools } from "./bpf-tools.ts";
import { parseDynamicMap } from "./dynamic-map.ts";
import { type FastPathDesired, findOurProgram, firstLine } from "./fast-path-state.ts";
import { diffMaps, readMappedState } from "./map-sync.ts";

export interface FastPathMirrorOptions {
  readonly tools: BpfTools;
  readonly log?: (message: string) => void;
  /** Backstop poll of the file (ms) besides the directory watch; 0: watch only. */
  readonly intervalMs?: number;
  /** Runs each sync in the data plane's turn, so it never overlaps an apply. */
  readonly exclusive?: (task: () => Promise<void>) => Promise<void>;
}

export class FastPathMirror {
  private readonly options: FastPathMirrorOptions;
  private desired: FastPathDesired | undefined;
  private lastText: string | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  /** Completed syncs that changed the maps. */
  syncs = 0;

  constructor(options: FastPathMirrorOptions) {
    this.options = options;
  }

  /** Starts following this slice (or stops, with undefined). Called after each apply. */
  follow(desired: FastPathDesired | undefined): void {
    const same =
      desired && this.desired && JSON.stringify(desired) === JSON.stringify(this.desired);
    this.lastText = undefined;
    if (same) return;
    this.stop();
    this.desired = desired;
    if (!desired) return;
    try {
      this.watcher = watch(dirname(desired.dynamicMap), (_event, file) => {
        if (file === null || file === basename(desired.dynamicMap)) this.schedule();
      });
      this.watcher.on("error", () => this.watcher?.close());
      this.watcher.unref();
    } catch {
      // The directory is created by the first apply; the poll below covers the gap.
    }
    const interval = this.options.intervalMs ?? 2000;
    if (interval > 0) {
      this.timer = setInterval(() => this.schedule(), interval);
      this.timer.unref();
    }
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const exclusive = this.options.exclusive ?? ((task) => task());
      void exclusive(() => this.sync().then(() => undefined));
    }, 50);
    this.pending.unref();
  }

  /** One pass: when the file changed, bring the maps to its pairs. Returns what it did. */
  async sync(): Promise<string | undefined> {
    const desired = this.desired;
    if (!desired) return undefined;
    const { tools, log } = this.options;
    try {
      const text = await readFile(desired.dynamicMap, "utf8").catch(() => "");
      if (text === this.lastText) return undefined;
      // Not attached (or another program): the resource's plan attaches it on the next apply.
      const ours = await findOurProgram(tools, desired);
      if (!ours) return undefined;
      const ids = ours.ids;
      const pairs = parseDynamicMap(text, desired.pool);
      const diff = diffMaps(ids, await readMappedState(tools, ids), { ...desired, pairs });
      await tools.write(diff.writes);
      this.lastText = text;
      this.lastError = undefined;
      if (diff.writes.length === 0) return undefined;
      this.syncs++;
      const line = `fast path: ${pairs.length} client${pairs.length === 1 ? "" : "s"} mapped (+${diff.added} -${diff.removed}) from ${desired.dynamicMap}`;
      log?.(line);
      return line;
    } catch (error) {
      const reason = firstLine(error);
      // Said once per distinct failure; the next pass tries again.
      if (reason !== this.lastError) log?.(`warning: fast path map sync failed: ${reason}`);
      this.lastError = reason;
      return undefined;
    }
  }

  private stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
  }

  close(): void {
    this.stop();
    this.desired = undefined;
  }
}
