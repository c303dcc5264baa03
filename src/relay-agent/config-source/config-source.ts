// Where the agent's configuration comes from. A source yields candidate documents (the file
// today; the control API's long-poll in managed mode); the agent validates each, fills the
// node's defaults, applies it whole, and hands the result back so the source can report it.
// The agent never asks where a config came from beyond `origin`, which it only logs.
import type { Problem } from "../../core/errors.ts";
import type { ApplyResult } from "../apply-result.ts";

/** One candidate configuration, not validated yet. */
export type ConfigCandidate =
  | {
      readonly ok: true;
      /** For logs and reports: the file path, or "api revision 12". */
      readonly origin: string;
      /** The parsed document (YAML/JSON object), validated by the agent. */
      readonly document: unknown;
    }
  | {
      readonly ok: false;
      readonly origin: string;
      /** Why no document could be read (missing file, YAML syntax), with key paths. */
      readonly problems: readonly Problem[];
    };

/** Applies one candidate and says what happened; never throws. */
export type CandidateHandler = (candidate: ConfigCandidate) => Promise<ApplyResult>;

export interface ConfigSource {
  /** The first candidate; the agent starts from it (or refuses to start). */
  first(): Promise<ConfigCandidate>;
  /**
   * Calls `handle` with every later candidate, one at a time (the next waits for the previous
   * result), until `close`. The source sees each result: managed mode reports it upstream.
   */
  watch(handle: CandidateHandler): void;
  close(): Promise<void>;
}

/**
 * Keys that describe this node rather than the relay, so in managed mode they come from the
 * local file and the API's document never overrides them.
 */
export const LOCAL_ONLY_KEYS = ["listen", "metricsListen"] as const;
