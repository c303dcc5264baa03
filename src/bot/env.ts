// Slack configuration, read once at start (Node: process.env; Workers: the env bindings) and
// injected. Which transport runs follows from the keys that are set (docs/slack.md).
import { z } from "zod";
import { RelayError } from "../core/errors.ts";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

/** A comma- or space-separated list of Slack IDs of one kind (U…/W… users, S… groups, C… channels). */
const idList = (what: string, pattern: RegExp) =>
  z
    .string()
    .optional()
    .transform((value) => (value ?? "").split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().regex(pattern, `each entry must be a Slack ${what} ID`)));

const slackKeys = {
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_BOT_TOKEN: optionalText.pipe(
    z.string().startsWith("xoxb-", "a bot token starts with xoxb-").optional(),
  ),
  SLACK_APP_TOKEN: optionalText.pipe(
    z.string().startsWith("xapp-", "an app-level token starts with xapp-").optional(),
  ),
  /** Slack's Web API base URL; tests point it at a local fake. */
  SLACK_API_URL: z
    .url()
    .default("https://slack.com/api/")
    .transform((url) => (url.endsWith("/") ? url : `${url}/`)),
  SLACK_ALLOWED_USERS: idList("user (U… or W…)", /^[UW][A-Z0-9]{2,}$/),
  SLACK_ALLOWED_USERGROUPS: idList("user group (S…)", /^S[A-Z0-9]{2,}$/),
  SLACK_ALLOWED_CHANNELS: idList("channel (C…, G… or D…)", /^[CGD][A-Z0-9]{2,}$/),
  SLACK_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9_-]{1,31}$/, "a slash command such as /relay")
    .default("/relay"),
};

type SlackKeys = z.output<z.ZodObject<typeof slackKeys>>;

/** The Slack keys make sense together: a bot token, and a signing secret or an app token. */
function checkSlackKeys(env: SlackKeys, ctx: z.RefinementCtx): void {
  const anySet = env.SLACK_SIGNING_SECRET || env.SLACK_BOT_TOKEN || env.SLACK_APP_TOKEN;
  if (!anySet) return;
  if (!env.SLACK_BOT_TOKEN) {
    ctx.addIssue({
      code: "custom",
      path: ["SLACK_BOT_TOKEN"],
      message: "the Slack bot needs SLACK_BOT_TOKEN (xoxb-…) as well",
    });
  }
  if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    ctx.addIssue({
      code: "custom",
      path: ["SLACK_SIGNING_SECRET"],
      message:
        "set SLACK_SIGNING_SECRET (HTTP at POST /slack/events) or SLACK_APP_TOKEN (Socket Mode)",
    });
  }
}

export const SlackEnv = z.object(slackKeys).superRefine(checkSlackKeys);
export type SlackEnv = z.output<typeof SlackEnv>;

export type SlackMode =
  | { readonly kind: "http"; readonly signingSecret: string; readonly botToken: string }
  | { readonly kind: "socket"; readonly appToken: string; readonly botToken: string };

/** The transport the keys ask for: Socket Mode wins when SLACK_APP_TOKEN is set. */
export function slackModeOf(env: SlackEnv): SlackMode | undefined {
  if (!env.SLACK_BOT_TOKEN) return undefined;
  if (env.SLACK_APP_TOKEN) {
    return { kind: "socket", appToken: env.SLACK_APP_TOKEN, botToken: env.SLACK_BOT_TOKEN };
  }
  if (env.SLACK_SIGNING_SECRET) {
    return { kind: "http", signingSecret: env.SLACK_SIGNING_SECRET, botToken: env.SLACK_BOT_TOKEN };
  }
  return undefined;
}

export function problemsOf(error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** Reads the keys of `schema` from `source` or throws invalid_input naming each bad key. */
export function readEnvKeys<S extends z.ZodObject>(
  schema: S,
  source: Record<string, unknown>,
): z.output<S> {
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((key) => [key, source[key] === "" ? undefined : source[key]]),
  );
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = problemsOf(result.error);
  throw new RelayError(
    "invalid_input",
    `bad configuration: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    problems,
  );
}

export function readSlackEnv(source: Record<string, unknown>): SlackEnv {
  return readEnvKeys(SlackEnv, source);
}

/** `nat64-relay bot`: the Slack keys plus where the API is and how to serve Slack's requests. */
export const BotEnv = z
  .object({
    ...slackKeys,
    NAT64_RELAY_API_URL: z.url({
      error: "the API's base URL is required, e.g. http://127.0.0.1:8787",
    }),
    NAT64_RELAY_API_TOKEN: z
      .string({ error: "an operator token (n64r_…) is required" })
      .min(1, "an operator token (n64r_…) is required"),
    HOST: z.string().min(1).default("0.0.0.0"),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** How often open confirmations are re-read from GET /v1/status. */
    BOT_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
  })
  .superRefine((env, ctx) => {
    checkSlackKeys(env, ctx);
    if (!env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
      ctx.addIssue({
        code: "custom",
        path: ["SLACK_BOT_TOKEN"],
        message: "the bot needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN)",
      });
    }
  });
export type BotEnv = z.output<typeof BotEnv>;

export function readBotEnv(source: Record<string, unknown>): BotEnv {
  return readEnvKeys(BotEnv, source);
}
