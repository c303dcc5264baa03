// `agent run`'s life: take the first candidate from the config source and apply it (or refuse
// to start, saying why), apply every later candidate the source yields (SIGHUP, a file edit, the
// API in managed mode) and log its result, and close cleanly on SIGTERM/SIGINT.
import type { Logger } from "pino";
import { formatProblems } from "../core/errors.ts";
import { Agent, type AgentDataPlane } from "./agent.ts";
import type { ApplyResult } from "./apply-result.ts";
import type { ConfigSource } from "./config-source/config-source.ts";
import type { NodeFacts } from "./config-source/resolve-config.ts";
import { agentDns, type DnsNumbers, type RunningDns } from "./dns/agent-dns.ts";
import type { DnsServerDeps } from "./dns/dns-server.ts";

export interface AgentDeps {
  readonly source: ConfigSource;
  readonly node: NodeFacts;
  readonly logger: Logger;
  /** The NAT64 data plane (every engine, none included); absent: DNS only, whatever the engine. */
  readonly dataPlane?: AgentDataPlane;
  /** Test seams for the DNS server (fake upstream client, reusePort...). */
  readonly dns?: Partial<Omit<DnsServerDeps, "logger" | "observer">>;
  /** DNS worker processes sharing the listen ports (node:cluster + SO_REUSEPORT); default 1: one thread. */
  readonly workers?: number;
}

export interface RunningAgent {
  readonly agent: Agent;
  /** The DNS workers' numbers, summed (undefined before the DNS started). */
  readonly dns: DnsNumbers | undefined;
  close(): Promise<void>;
}

/** A refusal as people read it: the reason, then one line per key path. */
export function describeRefusal(result: Extract<ApplyResult, { ok: false }>): string {
  return result.problems.length
    ? `${result.message}:\n${formatProblems(result.problems)}`
    : result.message;
}

/** Logs one apply's result: what changed, or what was refused (with key paths) and why. */
export function logResult(logger: Logger, result: ApplyResult, what: "start" | "reload"): void {
  if (!result.ok) {
    logger.error(
      {
        code: result.code,
        origin: result.origin,
        problems: result.problems,
        keptPrevious: result.keptPrevious,
      },
      `${what === "reload" ? "reload failed; still serving the previous configuration: " : ""}${describeRefusal(result)}`,
    );
    return;
  }
  for (const warning of result.warnings) logger.warn({ origin: result.origin }, warning);
  if (result.restartRequired.length) {
    logger.warn(
      { keys: result.restartRequired },
      `these keys take effect only after a restart of the agent: ${result.restartRequired.join(", ")}`,
    );
  }
  if (what === "reload") {
    logger.info(
      { origin: result.origin, changedKeys: result.changedKeys, hostChanges: result.hostChanges },
      result.changedKeys.length
        ? `reloaded: ${result.changedKeys.join(", ")} changed`
        : "reloaded: no change",
    );
  }
}

/** Starts the agent from the source's first candidate; throws its refusal as an error line. */
export async function startAgent(deps: AgentDeps): Promise<RunningAgent> {
  const dns: RunningDns = agentDns({
    logger: deps.logger,
    workers: deps.workers ?? 1,
    // What the DNS server takes from the data plane: the guard's observer, the accelerators' metrics.
    ...(deps.dataPlane ? { observer: deps.dataPlane.observer } : {}),
    ...(deps.dataPlane?.metrics
      ? { extraMetrics: () => deps.dataPlane?.metrics?.() ?? Promise.resolve("") }
      : {}),
    ...(deps.dns ? { deps: deps.dns } : {}),
  });
  const agent = new Agent({
    dns,
    node: deps.node,
    logger: deps.logger,
    ...(deps.dataPlane ? { dataPlane: deps.dataPlane } : {}),
  });
  const first = await agent.applyCandidate(await deps.source.first());
  logResult(deps.logger, first, "start");
  if (!first.ok) {
    await agent.close();
    throw new StartRefused(first);
  }
  deps.source.watch(async (candidate) => {
    const result = await agent.applyCandidate(candidate);
    logResult(deps.logger, result, "reload");
    return result;
  });
  return {
    agent,
    get dns() {
      return dns.numbers;
    },
    async close() {
      await deps.source.close();
      await agent.close();
    },
  };
}

export class StartRefused extends Error {
  readonly result: Extract<ApplyResult, { ok: false }>;

  constructor(result: Extract<ApplyResult, { ok: false }>) {
    super(describeRefusal(result));
    this.name = "StartRefused";
    this.result = result;
  }
}

/**
 * Runs until SIGTERM or SIGINT. Returns the process exit code: 0 after a clean stop, 1 when
 * it could not start (the reason is logged and printed, one line plus key paths).
 */
export async function runAgent(
  deps: AgentDeps,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  let running: RunningAgent;
  // A SIGHUP during start-up, before the source listens for it, would end the process (its
  // default action) once the DNS server already answers: it is held and passed on after.
  let hupWhileStarting = false;
  const holdHup = () => {
    hupWhileStarting = true;
  };
  signals.on("SIGHUP", holdHup);
  try {
    running = await startAgent(deps);
  } catch (error) {
    signals.off("SIGHUP", holdHup);
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof StartRefused))
      deps.logger.error({ err: error }, "agent could not start");
    console.error(`nat64-relay agent run: ${message}`);
    return 1;
  }
  signals.off("SIGHUP", holdHup);
  if (hupWhileStarting) signals.emit("SIGHUP", "SIGHUP");
  const config = running.agent.config;
  deps.logger.info(
    {
      splitDomains: config?.splitDomains.map((domain) => domain.name),
      prefix: config?.prefix,
      engine: config?.engine,
    },
    "agent running",
  );
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      signals.off("SIGTERM", onTerm);
      signals.off("SIGINT", onInt);
      deps.logger.info({ signal }, "stopping");
      running.close().then(
        () => resolve(0),
        (error: unknown) => {
          deps.logger.error({ err: error }, "error while stopping");
          resolve(1);
        },
      );
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    signals.on("SIGTERM", onTerm);
    signals.on("SIGINT", onInt);
  });
}
