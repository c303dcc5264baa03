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

export const SlackEnv = z
  .object({
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
  })
  .superRefine((env, ctx) => {
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
  });
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
