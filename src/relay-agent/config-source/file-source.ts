// The standalone config file as a source: read at start, again on SIGHUP, and whenever the file
// changes on disk (editors that write a temporary file and rename it included, since the watch
// is on the directory).
import { type FSWatcher, watch as watchDirectory } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { parseRelayConfigDocument } from "../../core/index.ts";
import type { CandidateHandler, ConfigCandidate, ConfigSource } from "./config-source.ts";

type ReadText = { ok: true; text: string } | { ok: false; reason: string };

async function readText(path: string): Promise<ReadText> {
  try {
    return { ok: true, text: await readFile(path, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === "ENOENT" ? "no such file" : String(error) };
  }
}

/** Reads and parses (YAML is a superset of JSON); validation is the agent's. */
export async function readConfigFile(path: string): Promise<ConfigCandidate> {
  return candidateFrom(path, await readText(path));
}

function candidateFrom(path: string, read: ReadText): ConfigCandidate {
  if (!read.ok) {
    const message = `cannot read ${path}: ${read.reason}`;
    return { ok: false, origin: path, problems: [{ path: "", message }] };
  }
  const document = parseRelayConfigDocument(read.text);
  return document.ok
    ? { ok: true, origin: path, document: document.value }
    : { ok: false, origin: path, problems: document.problems };
}

export interface FileSourceOptions {
  readonly path: string;
  /** Where SIGHUP arrives (process by default). */
  readonly signals?: NodeJS.EventEmitter;
  /** Watch the file for changes (default true). */
  readonly watchFile?: boolean;
  /** Several writes in a row make one reload (ms). */
  readonly settleMs?: number;
  readonly onWatchError?: (error: Error) => void;
}

export class FileConfigSource implements ConfigSource {
  private readonly options: FileSourceOptions;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private handle: CandidateHandler | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastText: string | undefined;
  private closed = false;
  private readonly onHup = () => this.reload("SIGHUP");

  constructor(options: FileSourceOptions) {
    this.options = options;
  }

  async first(): Promise<ConfigCandidate> {
    const read = await readText(this.options.path);
    this.lastText = read.ok ? read.text : undefined;
    return candidateFrom(this.options.path, read);
  }

  watch(handle: CandidateHandler): void {
    this.handle = handle;
    (this.options.signals ?? process).on("SIGHUP", this.onHup);
    if (this.options.watchFile === false) return;
    const file = basename(this.options.path);
    try {
      this.watcher = watchDirectory(dirname(this.options.path), (_event, name) => {
        if (name === null || name === file) this.scheduleChanged();
      });
      this.watcher.on("error", (error) => this.options.onWatchError?.(error));
    } catch (error) {
      this.options.onWatchError?.(error as Error);
    }
  }

  private scheduleChanged(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload("file changed");
    }, this.options.settleMs ?? 100);
  }

  /**
   * SIGHUP always re-applies, even an unchanged file (it also repairs the host); a watch event
   * whose text is what was read last (touch, chmod, a write of the same bytes) does nothing.
   */
  private reload(reason: "SIGHUP" | "file changed"): void {
    const handle = this.handle;
    if (!handle || this.closed) return;
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      const read = await readText(this.options.path);
      const text = read.ok ? read.text : undefined;
      if (reason === "file changed" && text === this.lastText) return;
      this.lastText = text;
      await handle(candidateFrom(this.options.path, read));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    (this.options.signals ?? process).off("SIGHUP", this.onHup);
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    await this.queue.catch(() => undefined);
  }
}
