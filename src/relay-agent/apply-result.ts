// What one `agent.apply(config)` did, for the log, the CLI and a config source's report
// (managed mode sends it to the API). Refusals carry key paths, so a person can fix the input.
import type { Problem } from "../core/errors.ts";
import type { AgentErrorCode } from "./errors.ts";

export type ApplyResult =
  | {
      readonly ok: true;
      readonly origin: string;
      /** Top-level config keys whose value changed ("engine", "splitDomains"); [] at start. */
      readonly changedKeys: readonly string[];
      /** Host changes made, one line each (for people). */
      readonly hostChanges: readonly string[];
      /** Changed keys that take effect only after `agent run` restarts. */
      readonly restartRequired: readonly string[];
      /** About the config itself (a split domain browsers reject); the data plane logs its own. */
      readonly warnings: readonly string[];
    }
  | {
      readonly ok: false;
      readonly origin: string;
      readonly code: AgentErrorCode;
      /** One line: what was refused and how to fix it. */
      readonly message: string;
      /** Key paths and reasons, when the input was at fault. */
      readonly problems: readonly Problem[];
      /** True when the previous configuration is still serving (it always is after start). */
      readonly keptPrevious: boolean;
    };
