// Node entry: SQLite file via node:sqlite, migrations at start, the app on HOST:PORT, an
// in-process notifier for long polls and a timer for the reconciler.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { pino } from "pino";
import { readSlackEnv, type SlackEnv } from "../bot/env.ts";
import { type NodeSlackBot, startNodeSlackBot } from "../bot/node-mount.ts";
import { helpOrRun } from "../cli-args.ts";
import { formatProblems, isRelayError } from "../core/errors.ts";
import { createApp } from "./app.ts";
import { InProcessNotifier } from "./change-signal.ts";
import { type ConnectionLimits, limitConnections } from "./connection-limits.ts";
import { loadNodeSwaggerUi } from "./docs/node-swagger-ui.ts";
import { type ApiEnv, readApiEnv } from "./env.ts";
import { ApiMetrics } from "./observe/api-metrics.ts";
import { observedReconcile } from "./observe/observed-reconcile.ts";
import { NodeLivenessWatch, nodeStaleSecondsOf } from "./reconciler/node-liveness.ts";
import { reconcile } from "./reconciler/reconcile.ts";
import { ReconcileRunner } from "./reconciler/runner.ts";
import { buildDeps, tailscaleClientOf } from "./runtime.ts";
import { ensureBootstrapAdmin } from "./services/bootstrap-admin.ts";
import { openNodeDatabase } from "./storage/node-sqlite.ts";
import type { TailscaleApi } from "./tailscale/api.ts";

/** The port could not be taken: one line for the operator, no stack trace. */
export class ListenError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function listen(
  fetch: Parameters<typeof serve>[0]["fetch"],
  hostname: string,
  port: number,
  limits: ConnectionLimits,
): Promise<ReturnType<typeof serve>> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => {
      server.off("error", onError);
      resolve(server);
    });
    limitConnections(server as Server, limits);
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
      const why =
        error.code === "EADDRINUSE"
          ? "the address is already in use (another server on that port? set PORT)"
          : error.code === "EADDRNOTAVAIL"
            ? "no interface has that address (set HOST)"
            : error.code === "EACCES"
              ? "permission denied (ports below 1024 need root; set PORT)"
              : error.message;
      reject(new ListenError(error.code ?? "listen", `cannot listen on ${where}: ${why}`));
    };
    server.once("error", onError);
  });
}

export interface NodeApi {
  readonly url: string;
  readonly port: number;
  /** The bootstrap admin secret when this start created it (printed too). */
  readonly bootstrapToken: string | undefined;
  readonly runner: ReconcileRunner;
  close(): Promise<void>;
}

export async function startNodeApi(
  env: ApiEnv,
  options: { tailscale?: TailscaleApi; print?: (text: string) => void; slack?: SlackEnv } = {},
): Promise<NodeApi> {
  const logger = pino({ level: env.LOG_LEVEL });
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const { database, close: closeDatabase } = await openNodeDatabase(env.DATABASE_PATH);
  const tailscale = options.tailscale ?? tailscaleClientOf(env);
  const notifier = new InProcessNotifier();
  const now = () => new Date();
  // Assigned once the bot has started; reconcile runs and agent reports update its messages.
  let slackBot: NodeSlackBot | undefined;
  const metrics = new ApiMetrics();
  // A node going down or coming back changes the nameservers: reconcile then, not at the next
  // periodic run. Checked once per report interval, from the database only, against the nodes
  // the last reconcile saw (each run takes a fresh look first): after a restart with the agents
  // silent for a while, their return is a change, not the baseline.
  const liveness = new NodeLivenessWatch(
    database,
    now,
    nodeStaleSecondsOf(env.AGENT_REPORT_INTERVAL_SECONDS),
  );
  const runner = new ReconcileRunner(
    observedReconcile(
      async () => {
        await liveness.check();
        const report = await reconcile({
          database,
          tailscale,
          now,
          nodeStaleSeconds: nodeStaleSecondsOf(env.AGENT_REPORT_INTERVAL_SECONDS),
        });
        void slackBot?.refresh();
        return report;
      },
      { log: logger, metrics },
    ),
    (error) => logger.error({ err: error }, "reconcile failed"),
  );
  const deps = await buildDeps({
    env,
    database,
    tailscale,
    now,
    changeSignal: notifier,
    onChange: (kinds) => {
      if (kinds.includes("config")) notifier.notify();
      if (kinds.includes("tailscale")) runner.request();
      if (kinds.includes("applied")) void slackBot?.refresh();
    },
    reconcileNow: () => runner.runNow(),
    logError: (error, requestId) => logger.error({ err: error, requestId }, "request failed"),
    log: logger,
    metrics,
    loadSwaggerUi: loadNodeSwaggerUi,
  });
  try {
    slackBot = await startNodeSlackBot({
      env: options.slack ?? readSlackEnv({}),
      database,
      now,
      changed: deps.onChange,
      reportIntervalSeconds: env.AGENT_REPORT_INTERVAL_SECONDS,
      log: (level, text, error) => logger[level]({ err: error }, text),
    });
  } catch (error) {
    closeDatabase();
    throw error;
  }
  const app = createApp({ ...deps, slackEvents: slackBot?.events });
  let server: ReturnType<typeof serve>;
  try {
    server = await listen(app.fetch, env.HOST, env.PORT, {
      maxConnections: env.MAX_CONNECTIONS,
      maxConnectionsPerSource: env.MAX_CONNECTIONS_PER_SOURCE,
      idleTimeoutMs: env.IDLE_TIMEOUT_SECONDS * 1000,
    });
  } catch (error) {
    closeDatabase();
    throw error;
  }
  // Only once the port is ours: a start that cannot listen must not use up the one-time token.
  const bootstrapToken = await ensureBootstrapAdmin({
    ctx: { database, caller: { type: "system" }, now, changed: () => {} },
    input: { adminTokenConfigured: Boolean(env.ADMIN_TOKEN) },
  });
  if (bootstrapToken) {
    print(
      [
        "nat64-relay: first start — bootstrap admin token (shown once, store it now):",
        `  ${bootstrapToken}`,
        "Use it as Authorization: Bearer <token>; create other tokens with POST /v1/tokens.",
      ].join("\n"),
    );
  }

  const { port } = server.address() as AddressInfo;
  const host = env.HOST === "0.0.0.0" || env.HOST === "::" ? "127.0.0.1" : env.HOST;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info(
    {
      url,
      database: env.DATABASE_PATH,
      tailscale: tailscale ? "apply" : "plan",
      slack: slackBot?.mode ?? "off",
    },
    "nat64-relay API listening",
  );
  runner.start(env.RECONCILE_INTERVAL_SECONDS * 1000);
  runner.request(0);
  const livenessTimer = setInterval(() => {
    liveness.check().then(
      (changed) => changed && runner.request(0),
      (error: unknown) => logger.error({ err: error }, "node liveness check failed"),
    );
  }, env.AGENT_REPORT_INTERVAL_SECONDS * 1000);
  livenessTimer.unref();

  return {
    url,
    port,
    bootstrapToken,
    runner,
    async close() {
      clearInterval(livenessTimer);
      await runner.stop();
      await slackBot?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      closeDatabase();
    },
  };
}

const HELP = `Usage: nat64-relay api

Serves the control API (Hono on Node, SQLite via node:sqlite). Configuration from the environment:
  HOST (127.0.0.1), PORT (8787), DATABASE_PATH (./data/nat64-relay.db), ADMIN_TOKEN,
  TAILSCALE_API_KEY or TAILSCALE_OAUTH_CLIENT_ID + TAILSCALE_OAUTH_CLIENT_SECRET,
  TAILSCALE_TAILNET (-), TAILSCALE_API_BASE_URL (https://api.tailscale.com),
  RECONCILE_INTERVAL_SECONDS (300), AGENT_MAX_WAIT_SECONDS (60), AGENT_REPORT_INTERVAL_SECONDS (30),
  LOG_LEVEL (info),
  MAX_BODY_BYTES (65536), MAX_CONNECTIONS (1024), MAX_CONNECTIONS_PER_SOURCE (128),
  IDLE_TIMEOUT_SECONDS (30),
  RELAY_MAX_NODES (16), RELAY_NODE_PRUNE_SECONDS (604800).
Slack bot (README, "Slack bot"): SLACK_SIGNING_SECRET + SLACK_BOT_TOKEN (POST /slack/events) or
  SLACK_APP_TOKEN (Socket Mode), SLACK_ALLOWED_USERS, SLACK_ALLOWED_USERGROUPS,
  SLACK_ALLOWED_CHANNELS, SLACK_API_URL (https://slack.com/api/).
See docs/api.md.`;

export async function main(argv: string[]): Promise<number> {
  const early = helpOrRun("nat64-relay api", argv, HELP);
  if (early !== undefined) return early;
  let env: ApiEnv;
  let slack: SlackEnv;
  try {
    env = readApiEnv(process.env);
    slack = readSlackEnv(process.env);
  } catch (error) {
    if (isRelayError(error)) {
      console.error(`nat64-relay api: bad configuration\n${formatProblems(error.problems)}`);
      return 2;
    }
    throw error;
  }
  let api: NodeApi;
  try {
    api = await startNodeApi(env, { slack });
  } catch (error) {
    if (error instanceof ListenError || isRelayError(error)) {
      console.error(`nat64-relay api: ${error.message}`);
      return 1;
    }
    if ((error as { errcode?: number }).errcode === 5) {
      console.error(
        `nat64-relay api: ${env.DATABASE_PATH} is in use by another server (database is locked)`,
      );
      return 1;
    }
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await api.close();
  return 0;
}
