// The agent's environment variables, read and validated once at the CLI edge and injected. A
// bad value stops the command with the variable's name, what it must be, and what it was.
import { z } from "zod";
import { AgentError } from "./errors.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

export const HEALTH_INTERVAL_ENV = "NAT64_RELAY_HEALTH_INTERVAL_MS";

export const AgentEnv = z.object({
  /** Prefix for /etc and /var/lib (tests and the e2e lab point it at a temporary directory). */
  NAT64_RELAY_ROOT: optionalText,
  /** The tailscale CLI to run (default `tailscale` on PATH). */
  NAT64_RELAY_TAILSCALE: optionalText,
  /** Where a non-root `agent run` keeps its state when /var/lib is not writable (XDG). */
  XDG_STATE_HOME: optionalText,
  HOME: optionalText,
  NAT64_RELAY_LOG_LEVEL: optionalText.pipe(
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  ),
  /** How often `agent run` checks and repairs its data plane (ms); 0: never. Default 2000. */
  [HEALTH_INTERVAL_ENV]: optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, "must be a number of milliseconds (0: off)")
      .transform(Number)
      .optional(),
  ),
});
export type AgentEnv = z.infer<typeof AgentEnv>;

/** Throws AgentError("invalid_env") naming the first bad variable and its value. */
export function parseAgentEnv(env: NodeJS.ProcessEnv): AgentEnv {
  const result = AgentEnv.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? "environment");
  throw new AgentError(
    "invalid_env",
    `${name} ${issue?.message ?? "is invalid"}, got "${env[name] ?? ""}"`,
  );
}
