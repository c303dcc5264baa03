// `agent run`: the relay agent standalone. Loads and validates the config file, fills the
// node-dependent defaults, starts the DNS server (and the NAT64 data plane when one is wired
// in), reloads on SIGHUP without dropping sockets, and closes cleanly on SIGTERM/SIGINT.
import type { Logger } from "pino";
import {
  formatProblems,
  type Problem,
  type RelayConfig,
  type ResolvedRelayConfig,
  resolveRelayConfig,
} from "../core/index.ts";
import { loadRelayConfigFile } from "./config-file.ts";
import type { SynthesisObserver } from "./data-plane.ts";
import { startDnsCluster } from "./dns/cluster.ts";
import { DnsServer, type DnsServerDeps } from "./dns/dns-server.ts";
import { dnsSettingsFrom } from "./dns/settings.ts";
import type { TailscaleCli } from "./host/tailscale-cli.ts";
import { loadOrCreatePrefix } from "./state/prefix-store.ts";

/**
 * The hook for the NAT64 data plane (issue 4): applied with every resolved config (start and
 * each reload) before the DNS server uses it, told about every synthesized IPv4 through
 * `observer`, closed last. Absent with `engine: none`: the agent is then only a DNS server.
 */
export interface AgentDataPlane {
  apply(config: ResolvedRelayConfig): Promise<unknown>;
  readonly observer: SynthesisObserver;
  /** Whether what apply made is still in place (managed mode reports it). */
  healthy?(): Promise<{ ok: boolean; reason?: string }>;
  /** Its own Prometheus exposition text, appended to the DNS server's on `metricsListen`. */
  metrics?(): Promise<string>;
  close(): Promise<void>;
}

export interface AgentDeps {
  readonly configPath: string;
  readonly stateDir: string;
  readonly tailscale: TailscaleCli;
  readonly logger: Logger;
  /** Builds the data plane for a config whose engine is not `none`; undefined: DNS only. */
  readonly createDataPlane?: (config: ResolvedRelayConfig) => AgentDataPlane | undefined;
  /** Test seams for the DNS server (fake upstream client, reusePort...). */
  readonly dns?: Partial<Omit<DnsServerDeps, "logger" | "observer">>;
  /** DNS worker processes sharing the listen ports (node:cluster + SO_REUSEPORT); default 1. */
  readonly workers?: number;
}

/** A start-up or reload failure with the exact config problems (key paths). */
export class AgentConfigError extends Error {
  readonly problems: readonly Problem[];

  constructor(message: string, problems: readonly Problem[] = []) {
    super(problems.length ? `${message}:\n${formatProblems(problems)}` : message);
    this.name = "AgentConfigError";
    this.problems = problems;
  }
}

/** Reads the file and fills the defaults that depend on this node (prefix, listen). */
export async function loadAgentConfig(deps: AgentDeps): Promise<ResolvedRelayConfig> {
  const loaded = await loadRelayConfigFile(deps.configPath);
  if (!loaded.ok) {
    throw new AgentConfigError(`${deps.configPath} is not a valid relay config`, loaded.problems);
  }
  for (const warning of loaded.warnings) deps.logger.warn({ code: warning.code }, warning.message);
  return resolveNodeDefaults(loaded.config, deps);
}

export async function resolveNodeDefaults(
  config: RelayConfig,
  deps: Pick<AgentDeps, "configPath" | "stateDir" | "tailscale" | "logger">,
): Promise<ResolvedRelayConfig> {
  let generatedPrefix = config.prefix ?? "";
  if (config.prefix === undefined) {
    const kept = await loadOrCreatePrefix(deps.stateDir);
    if (kept.created) {
      deps.logger.info(
        { prefix: kept.prefix, stateDir: deps.stateDir },
        "generated a NAT64 prefix and kept it",
      );
    }
    generatedPrefix = kept.prefix;
  }
  let tailscaleIps: string[] = [];
  if (config.listen === undefined) {
    if (!(await deps.tailscale.available())) {
      throw new AgentConfigError(
        `${deps.configPath} has no listen addresses and the tailscale CLI is not available to find this node's Tailscale IPs: install tailscale, or set listen (e.g. listen: ["127.0.0.1:5353"])`,
      );
    }
    tailscaleIps = await deps.tailscale.ips();
    if (!tailscaleIps.length) {
      throw new AgentConfigError(
        "`tailscale ip` printed no addresses (is tailscale up?): bring it up, or set listen",
      );
    }
  }
  return resolveRelayConfig(config, { generatedPrefix, tailscaleIps });
}

export interface RunningAgent {
  /** The in-process DNS server (absent with several workers: they each run their own). */
  readonly dns: DnsServer | undefined;
  readonly config: ResolvedRelayConfig;
  readonly dataPlane: AgentDataPlane | undefined;
  /** Re-reads the file and applies it; on a bad file keeps the running config and throws. */
  reload(): Promise<ResolvedRelayConfig>;
  /** Applies a resolved config (managed mode); on failure keeps the running one and throws. */
  apply(fresh: ResolvedRelayConfig): Promise<ResolvedRelayConfig>;
  close(): Promise<void>;
}

const serial = () => Math.floor(Date.now() / 1000);

/**
 * Starts the agent from `initial` (managed mode) or the file; throws AgentConfigError (bad file,
 * no listen) or the socket error.
 */
export async function startAgent(
  deps: AgentDeps,
  initial?: ResolvedRelayConfig,
): Promise<RunningAgent> {
  let config = initial ?? (await loadAgentConfig(deps));
  const dataPlane = config.engine === "none" ? undefined : deps.createDataPlane?.(config);
  if (config.engine !== "none" && !dataPlane) {
    deps.logger.warn(
      { engine: config.engine },
      "no NAT64 data plane is wired into this build: running the DNS server only",
    );
  }
  await dataPlane?.apply(config);
  // What the DNS server takes from the data plane: the guard's observer, the fast path's metrics.
  const fromDataPlane = {
    ...(dataPlane ? { observer: dataPlane.observer } : {}),
    ...(dataPlane?.metrics
      ? { extraMetrics: () => dataPlane.metrics?.() ?? Promise.resolve("") }
      : {}),
  };
  const workers = deps.workers ?? 1;
  const dns =
    workers > 1
      ? undefined
      : await DnsServer.start(dnsSettingsFrom(config, serial()), {
          ...deps.dns,
          logger: deps.logger,
          ...fromDataPlane,
        });
  const dnsCluster =
    workers > 1
      ? await startDnsCluster({
          count: workers,
          config,
          serial: serial(),
          logger: deps.logger,
          ...fromDataPlane,
        })
      : undefined;
  let reloading: Promise<unknown> = Promise.resolve();
  const applyNow = async (fresh: ResolvedRelayConfig) => {
    const settings = dnsSettingsFrom(fresh, serial());
    await dataPlane?.apply(fresh);
    await dns?.reload(settings);
    await dnsCluster?.apply(fresh, settings.handler.soa.serial);
    config = fresh;
    return fresh;
  };
  const queue = (task: () => Promise<ResolvedRelayConfig>) => {
    const next = reloading.then(task);
    reloading = next.catch(() => undefined);
    return next;
  };
  return {
    dns,
    dataPlane,
    get config() {
      return config;
    },
    reload: () => queue(async () => applyNow(await loadAgentConfig(deps))),
    apply: (fresh) => queue(() => applyNow(fresh)),
    async close() {
      await dns?.close();
      await dnsCluster?.close();
      await dataPlane?.close();
    },
  };
}

/**
 * Runs until SIGTERM or SIGINT; SIGHUP reloads. Returns the process exit code: 0 after a clean
 * stop, 1 when it could not start (the reason is logged and printed).
 */
export async function runAgent(
  deps: AgentDeps,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  let agent: RunningAgent;
  try {
    agent = await startAgent(deps);
  } catch (error) {
    deps.logger.error({ err: error }, "agent could not start");
    console.error(
      `nat64-relay agent run: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  deps.logger.info(
    {
      splitDomains: agent.config.splitDomains.map((domain) => domain.name),
      prefix: agent.config.prefix,
    },
    "agent running",
  );
  return new Promise((resolve) => {
    const onHup = () => {
      agent.reload().then(
        (config) => deps.logger.info({ splitDomains: config.splitDomains.length }, "reloaded"),
        (error: unknown) =>
          deps.logger.error(
            { err: error },
            "reload failed; still serving the previous configuration",
          ),
      );
    };
    const stop = (signal: string) => {
      signals.off("SIGHUP", onHup);
      signals.off("SIGTERM", onTerm);
      signals.off("SIGINT", onInt);
      deps.logger.info({ signal }, "stopping");
      agent.close().then(
        () => resolve(0),
        (error: unknown) => {
          deps.logger.error({ err: error }, "error while stopping");
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
