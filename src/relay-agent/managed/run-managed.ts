// `agent run` in managed mode: the config comes from the control API (config-source/api-source.ts),
// the agent applies each revision whole and reports what it runs (managed/status-reporter.ts).
// Starts from the last-known-good copy when the API is down; keeps serving when the API goes
// away or refuses the token (docs/managed.md).
import type { Logger } from "pino";
import { ApiConfigSource } from "../config-source/api-source.ts";
import type { NftCounter } from "../host/nftables.ts";
import type { TailscaleCli } from "../host/tailscale-cli.ts";
import { type AgentDeps, type RunningAgent, StartRefused, startAgent } from "../run.ts";
import { HttpAgentApi } from "./api-link.ts";
import { dnsCounters, nat64Counters } from "./counters.ts";
import { readNodeIdentity } from "./identity.ts";
import { LinkHealth } from "./link-health.ts";
import { StatusReporter } from "./status-reporter.ts";

export interface ManagedAgentDeps extends Omit<AgentDeps, "source"> {
  readonly apiUrl: string;
  readonly token: string;
  /** Where the last-known-good copy is kept. */
  readonly stateDir: string;
  /** For the node identity in status reports. */
  readonly tailscale: TailscaleCli;
  /** This node's keys from the local file (listen, metricsListen). */
  readonly localKeys: Record<string, unknown>;
  /** Our nft table's counters; undefined when there is no table (engine none). */
  readonly nat64Counters?: () => Promise<Record<string, NftCounter>>;
  readonly fetch?: typeof fetch;
  /** ?wait= of each long poll (s). */
  readonly waitSeconds?: number;
}

/**
 * Runs until SIGTERM or SIGINT. Returns the exit code: 0 after a clean stop, 1 when it could not
 * start (no config from the API or the saved copy, or that config cannot run here). The API
 * source is one more config source of the agent's pipeline (run.ts): every revision is validated,
 * gets this node's defaults and is applied whole, and the source records each result.
 */
export async function runManagedAgent(
  deps: ManagedAgentDeps,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  const log = deps.logger;
  const health = new LinkHealth(deps.apiUrl);
  const api = new HttpAgentApi({
    url: deps.apiUrl,
    token: deps.token,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  let running: RunningAgent | undefined;
  const reporter = new StatusReporter({
    api,
    health,
    log: bind(log),
    collect: () => collectReport(),
  });
  const source = new ApiConfigSource({
    api,
    health,
    stateDir: deps.stateDir,
    log: bind(log),
    localKeys: deps.localKeys,
    onApplied: () => void reporter.reportSoon(),
    ...(deps.waitSeconds === undefined ? {} : { waitSeconds: deps.waitSeconds }),
  });

  async function collectReport(): Promise<Record<string, unknown> | undefined> {
    const state = source.state;
    if (!running || state.appliedRevision === undefined) return undefined;
    const identity = await readNodeIdentity(deps.tailscale);
    if (!identity.ok) {
      log.warn({ reason: identity.reason }, "cannot report status: no node identity");
      return undefined;
    }
    const dataPlane = await deps.dataPlane?.healthy?.().catch((error: unknown) => ({
      ok: false,
      reason: String(error),
    }));
    const nat64 = await deps.nat64Counters?.().catch(() => undefined);
    return {
      ...identity.identity,
      appliedRevision: state.appliedRevision,
      doctor: {
        ok: (dataPlane?.ok ?? true) && state.refused === undefined,
        failed: [
          ...(dataPlane && !dataPlane.ok ? [`data plane: ${dataPlane.reason}`] : []),
          ...(state.refused ? [`config revision ${state.refused.revision} refused`] : []),
        ],
        runningFrom: state.appliedFrom,
      },
      ...(state.lastApply ? { lastApply: state.lastApply } : {}),
      counters: {
        ...(running.dns ? dnsCounters(running.dns.metrics.snapshot()) : {}),
        ...(nat64 ? nat64Counters(nat64) : {}),
      },
    };
  }

  try {
    running = await startAgent({ ...deps, source });
  } catch (error) {
    await source.close();
    if (!(error instanceof StartRefused)) log.error({ err: error }, "agent could not start");
    console.error(
      `nat64-relay agent run: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  const agent = running;
  const config = agent.agent.config;
  log.info(
    {
      api: deps.apiUrl,
      splitDomains: config?.splitDomains.map((domain) => domain.name),
      prefix: config?.prefix,
    },
    "agent running (managed)",
  );
  reporter.start();

  return new Promise((resolve) => {
    const onHup = () =>
      log.info({}, "managed mode: the config comes from the API; SIGHUP changes nothing");
    const stop = (signal: string) => {
      signals.off("SIGHUP", onHup);
      signals.off("SIGTERM", onTerm);
      signals.off("SIGINT", onInt);
      log.info({ signal }, "stopping");
      reporter
        .stop()
        .then(() => agent.close())
        .then(
          () => resolve(0),
          (error: unknown) => {
            log.error({ err: error }, "error while stopping");
            resolve(1);
          },
        );
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    signals.on("SIGHUP", onHup);
    signals.on("SIGTERM", onTerm);
    signals.on("SIGINT", onInt);
  });
}

/** pino's (fields, message) calls, bound for the managed parts' small log interface. */
function bind(logger: Logger) {
  return {
    info: (fields: Record<string, unknown>, message: string) => logger.info(fields, message),
    warn: (fields: Record<string, unknown>, message: string) => logger.warn(fields, message),
    error: (fields: Record<string, unknown>, message: string) => logger.error(fields, message),
  };
}
