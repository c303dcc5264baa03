// `agent run` in managed mode: the config comes from the control API (config-source/api-source.ts),
// the agent applies each revision whole and reports what it runs (managed/status-reporter.ts).
// Starts from the last-known-good copy when the API is down; keeps serving when the API goes
// away or refuses the token (docs/managed.md).
import type { Logger } from "pino";
import {
  formatProblems,
  type Problem,
  parseRelayConfigValue,
  type ResolvedRelayConfig,
} from "../../core/index.ts";
import { ApiConfigSource } from "../config-source/api-source.ts";
import type { SourceApplyResult, SourceCandidate } from "../config-source/apply-outcome.ts";
import type { NftCounter } from "../host/nftables.ts";
import {
  AgentConfigError,
  type AgentDeps,
  type RunningAgent,
  resolveNodeDefaults,
  startAgent,
} from "../run.ts";
import { HttpAgentApi } from "./api-link.ts";
import { dnsCounters, nat64Counters } from "./counters.ts";
import { readNodeIdentity } from "./identity.ts";
import { LinkHealth } from "./link-health.ts";
import { StatusReporter } from "./status-reporter.ts";

export interface ManagedAgentDeps extends AgentDeps {
  readonly apiUrl: string;
  readonly token: string;
  /** This node's keys from the local file (listen, metricsListen). */
  readonly localKeys: Record<string, unknown>;
  /** Our nft table's counters; undefined when there is no table (engine none). */
  readonly nat64Counters?: () => Promise<Record<string, NftCounter>>;
  readonly fetch?: typeof fetch;
  /** ?wait= of each long poll (s). */
  readonly waitSeconds?: number;
}

/** Top-level keys whose value differs: what an apply changed, for people and the report. */
function changedKeys(before: ResolvedRelayConfig, after: ResolvedRelayConfig): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter(
      (key) =>
        JSON.stringify(before[key as keyof ResolvedRelayConfig]) !==
        JSON.stringify(after[key as keyof ResolvedRelayConfig]),
    )
    .sort();
}

function problemsOf(error: unknown): { message: string; problems: Problem[] } {
  if (error instanceof AgentConfigError) {
    return {
      message: error.message.split("\n")[0] ?? error.message,
      problems: [...error.problems],
    };
  }
  return { message: error instanceof Error ? error.message : String(error), problems: [] };
}

/** Validates a candidate and fills this node's defaults; throws AgentConfigError. */
async function resolveCandidate(
  candidate: SourceCandidate,
  deps: ManagedAgentDeps,
): Promise<ResolvedRelayConfig> {
  if (!candidate.ok) {
    throw new AgentConfigError(`${candidate.origin}: no config`, candidate.problems);
  }
  const parsed = parseRelayConfigValue(candidate.document);
  if (!parsed.ok) {
    throw new AgentConfigError(`${candidate.origin} is not a valid relay config`, parsed.problems);
  }
  return resolveNodeDefaults(parsed.config, { ...deps, configPath: candidate.origin });
}

/**
 * Runs until SIGTERM or SIGINT. Returns the exit code: 0 after a clean stop, 1 when it could not
 * start (no config from the API or the saved copy, or that config cannot run here).
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
  let agent: RunningAgent | undefined;
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
    if (!agent || state.appliedRevision === undefined) return undefined;
    const identity = await readNodeIdentity(deps.tailscale);
    if (!identity.ok) {
      log.warn({ reason: identity.reason }, "cannot report status: no node identity");
      return undefined;
    }
    const dataPlane = await agent.dataPlane?.healthy?.().catch((error: unknown) => ({
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
        ...(agent.dns ? dnsCounters(agent.dns.metrics.snapshot()) : {}),
        ...(nat64 ? nat64Counters(nat64) : {}),
      },
    };
  }

  const first = await source.first();
  try {
    agent = await startAgent(deps, await resolveCandidate(first, deps));
  } catch (error) {
    await source.close();
    const { message, problems } = problemsOf(error);
    log.error({ err: error }, "agent could not start");
    console.error(
      `nat64-relay agent run: ${message}${problems.length ? `:\n${formatProblems(problems)}` : ""}`,
    );
    return 1;
  }
  const running = agent;
  log.info(
    {
      api: deps.apiUrl,
      from: first.origin,
      splitDomains: running.config.splitDomains.map((domain) => domain.name),
      prefix: running.config.prefix,
    },
    "agent running (managed)",
  );
  source.watch(async (candidate): Promise<SourceApplyResult> => {
    try {
      const before = running.config;
      const fresh = await resolveCandidate(candidate, deps);
      await running.apply(fresh);
      return { ok: true, changedKeys: changedKeys(before, fresh), hostChanges: [] };
    } catch (error) {
      return { ok: false, ...problemsOf(error) };
    }
  });
  reporter.start();

  return new Promise((resolve) => {
    const onHup = () =>
      log.info({}, "managed mode: the config comes from the API; SIGHUP changes nothing");
    const stop = (signal: string) => {
      signals.off("SIGHUP", onHup);
      signals.off("SIGTERM", onTerm);
      signals.off("SIGINT", onInt);
      log.info({ signal }, "stopping");
      Promise.all([source.close(), reporter.stop()])
        .then(() => running.close())
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
