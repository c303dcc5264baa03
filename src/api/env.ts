// Configuration, read and validated once at start (Node: process.env; Workers: the env
// bindings) and injected. A bad value stops the start with the exact key.
import { z } from "zod";
import { RelayError } from "../core/errors.ts";
import type { TailscaleAuth } from "./tailscale/http-client.ts";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const seconds = (fallback: number, max: number) =>
  z.coerce.number().int().min(0).max(max).default(fallback);

export const ApiEnv = z
  .object({
    /**
     * Node listen address. Loopback by default: the API holds tokens and answers anyone who
     * reaches it, so exposing it (a tailnet IP, or 0.0.0.0 behind a proxy) is a choice.
     */
    HOST: z.string().min(1).default("127.0.0.1"),
    PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    DATABASE_PATH: z.string().min(1).default("./data/nat64-relay.db"),
    ADMIN_TOKEN: optionalText.pipe(
      z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
    ),
    TAILSCALE_API_KEY: optionalText,
    TAILSCALE_OAUTH_CLIENT_ID: optionalText,
    TAILSCALE_OAUTH_CLIENT_SECRET: optionalText,
    TAILSCALE_TAILNET: z.string().min(1).default("-"),
    TAILSCALE_API_BASE_URL: z.url().default("https://api.tailscale.com"),
    /** Periodic reconcile on Node; 0 turns the timer off. Workers use the cron trigger. */
    RECONCILE_INTERVAL_SECONDS: seconds(300, 86_400),
    /**
     * How often agents report (POST /v1/agent/status answers it). A relay node silent for 3
     * intervals is down: no longer a split DNS nameserver or a route target.
     */
    AGENT_REPORT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /** Upper bound of ?wait= on GET /v1/agent/config. */
    AGENT_MAX_WAIT_SECONDS: seconds(60, 300),
    /** Workers: how often a long poll re-reads D1 while it waits. */
    AGENT_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(30_000).default(1000),
    /** Requests with a larger body answer 413 before anything reads it (both runtimes). */
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(65_536),
    /** Node: open connections at most; further ones are closed at once (Workers: the platform). */
    MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1024),
    /** Node: open connections from one source address at most (behind a proxy: raise it). */
    MAX_CONNECTIONS_PER_SOURCE: z.coerce.number().int().min(1).max(1_000_000).default(128),
    /** Node: a connection with no request or response bytes for this long is closed. */
    IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /** Nodes one relay may have; a report from one more new node answers 409. */
    RELAY_MAX_NODES: z.coerce.number().int().min(1).max(1000).default(16),
    /** A relay node silent this long is deleted (when its relay next hears from a new node). */
    RELAY_NODE_PRUNE_SECONDS: z.coerce.number().int().min(3600).max(31_536_000).default(604_800),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
  })
  .superRefine((env, ctx) => {
    const id = env.TAILSCALE_OAUTH_CLIENT_ID;
    const secret = env.TAILSCALE_OAUTH_CLIENT_SECRET;
    if (Boolean(id) !== Boolean(secret)) {
      ctx.addIssue({
        code: "custom",
        path: [id ? "TAILSCALE_OAUTH_CLIENT_SECRET" : "TAILSCALE_OAUTH_CLIENT_ID"],
        message: "OAuth client credentials need both TAILSCALE_OAUTH_CLIENT_ID and _SECRET",
      });
    }
    if (env.TAILSCALE_API_KEY && id) {
      ctx.addIssue({
        code: "custom",
        path: ["TAILSCALE_API_KEY"],
        message: "set either TAILSCALE_API_KEY or the OAuth client credentials, not both",
      });
    }
  });
export type ApiEnv = z.output<typeof ApiEnv>;

/** Reads the environment or throws invalid_input naming each bad key. */
export function readApiEnv(source: Record<string, unknown>): ApiEnv {
  const picked = Object.fromEntries(
    Object.keys(ApiEnv.shape).map((key) => [key, source[key] === "" ? undefined : source[key]]),
  );
  const result = ApiEnv.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  throw new RelayError(
    "invalid_input",
    `bad configuration: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    problems,
  );
}

/** Tailscale credentials, or undefined for plan mode. */
export function tailscaleAuthOf(env: ApiEnv): TailscaleAuth | undefined {
  if (env.TAILSCALE_API_KEY) return { kind: "apiKey", apiKey: env.TAILSCALE_API_KEY };
  if (env.TAILSCALE_OAUTH_CLIENT_ID && env.TAILSCALE_OAUTH_CLIENT_SECRET) {
    return {
      kind: "oauth",
      clientId: env.TAILSCALE_OAUTH_CLIENT_ID,
      clientSecret: env.TAILSCALE_OAUTH_CLIENT_SECRET,
    };
  }
  return undefined;
}
