// `nat64-relay bot`: the Slack bot on its own, against a remote control API (HTTP, operator
// token). Serves POST /slack/events (and /healthz) on HOST:PORT, or connects in Socket Mode;
// confirmations are refreshed from GET /v1/status every BOT_REFRESH_SECONDS.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { pino } from "pino";
import { errorBody, HTTP_STATUS } from "../api/http-errors.ts";
import { isRelayError } from "../core/errors.ts";
import { HttpBackend } from "./backend/http.ts";
import { startBoltBot } from "./bolt/bolt-app.ts";
import { createBot } from "./bot.ts";
import { type BotEnv, slackModeOf } from "./env.ts";
import { type SlackEventsHandler, slackEventsHandler } from "./http/slack-events.ts";
import { FetchSlackWebApi } from "./slack/web-api.ts";

export interface StandaloneBot {
  /** The HTTP listener (HTTP mode), e.g. http://127.0.0.1:3000. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

function eventsApp(events: SlackEventsHandler, logError: (error: unknown) => void): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.post("/slack/events", async (c) => {
    const ack = await events(c.req.raw, (work) => void work.catch(logError));
    return ack === undefined ? c.body(null, 200) : c.json(ack as object, 200);
  });
  app.onError((error, c) => {
    const requestId = crypto.randomUUID();
    if (isRelayError(error)) {
      return c.json(errorBody(error.code, error.message, requestId), HTTP_STATUS[error.code]);
    }
    logError(error);
    return c.json(errorBody("internal", `internal error (request ${requestId})`, requestId), 500);
  });
  return app;
}

export async function startStandaloneBot(env: BotEnv): Promise<StandaloneBot> {
  const mode = slackModeOf(env);
  if (!mode) throw new Error("startStandaloneBot: no Slack mode (readBotEnv checks this)");
  const logger = pino({ level: env.LOG_LEVEL });
  const now = () => new Date();
  const logError = (error: unknown, what: string) =>
    logger.error({ err: error }, `Slack bot: ${what} failed`);
  const bot = createBot({
    env,
    backend: new HttpBackend({
      apiUrl: env.NAT64_RELAY_API_URL,
      token: env.NAT64_RELAY_API_TOKEN,
      now,
      log: (text) => logger.warn(text),
    }),
    slack: new FetchSlackWebApi({ baseUrl: env.SLACK_API_URL, botToken: mode.botToken }),
    now,
    logError,
  });
  const bolt = await startBoltBot({
    bot,
    mode,
    slackApiUrl: env.SLACK_API_URL,
    log: (level, text) => logger[level](`Bolt: ${text}`),
  });
  const timer = setInterval(() => void bot.refresh(), env.BOT_REFRESH_SECONDS * 1000);
  timer.unref();

  let server: ReturnType<typeof serve> | undefined;
  let url: string | undefined;
  if (mode.kind === "http" && bolt.dispatch) {
    const events = slackEventsHandler({
      signingSecret: mode.signingSecret,
      now,
      dispatch: bolt.dispatch,
    });
    const app = eventsApp(events, (error) => logError(error, "Slack request"));
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: env.HOST, port: env.PORT }, () =>
        resolve(started),
      );
    });
    const { port } = server.address() as AddressInfo;
    const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
    url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }
  logger.info(
    { mode: mode.kind, url, api: env.NAT64_RELAY_API_URL },
    "nat64-relay Slack bot running",
  );
  return {
    url,
    async close() {
      clearInterval(timer);
      await bolt.stop();
      if (server) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
      }
    },
  };
}
