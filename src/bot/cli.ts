// `nat64-relay bot`: runs the Slack bot alone against a remote API.
import { helpOrRun } from "../cli-args.ts";
import { formatProblems, isRelayError } from "../core/errors.ts";
import { type BotEnv, readBotEnv } from "./env.ts";
import { type StandaloneBot, startStandaloneBot } from "./standalone.ts";

const HELP = `Usage: nat64-relay bot

Runs the Slack bot (/relay) on its own, calling a nat64-relay API over HTTP. (The API itself
serves the same bot at POST /slack/events when SLACK_* is set; this is for a bot elsewhere.)
Configuration from the environment:
  NAT64_RELAY_API_URL    the API's base URL, e.g. https://relay-api.example.com
  NAT64_RELAY_API_TOKEN  an operator token (POST /v1/tokens {"scope":"operator"})
  SLACK_BOT_TOKEN        xoxb-… and either SLACK_SIGNING_SECRET (HTTP: Slack posts to
                         http://HOST:PORT/slack/events) or SLACK_APP_TOKEN xapp-… (Socket Mode)
  SLACK_ALLOWED_USERS, SLACK_ALLOWED_USERGROUPS, SLACK_ALLOWED_CHANNELS, SLACK_API_URL,
  HOST (0.0.0.0), PORT (3000), BOT_REFRESH_SECONDS (15), LOG_LEVEL (info).`;

export async function main(argv: string[]): Promise<number> {
  const early = helpOrRun("nat64-relay bot", argv, HELP);
  if (early !== undefined) return early;
  let env: BotEnv;
  try {
    env = readBotEnv(process.env);
  } catch (error) {
    if (isRelayError(error)) {
      console.error(`nat64-relay bot: bad configuration\n${formatProblems(error.problems)}`);
      return 2;
    }
    throw error;
  }
  let bot: StandaloneBot;
  try {
    bot = await startStandaloneBot(env);
  } catch (error) {
    if (isRelayError(error)) {
      console.error(`nat64-relay bot: ${error.message}`);
      return 1;
    }
    throw error;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await bot.close();
  return 0;
}
