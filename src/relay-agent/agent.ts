// The agent's one pipeline: a candidate from a config source is validated, gets this node's
// defaults, and is applied whole by `apply`: DNS settings are built first (nothing is touched
// if that fails), then the data plane is converged, then the DNS server takes the settings.
// A failing step puts every part back to the previous config, which keeps serving; the result
// says what changed, or what was refused and why, with key paths.
import type { Logger } from "pino";
import type { ResolvedRelayConfig } from "../core/index.ts";
import type { ApplyResult } from "./apply-result.ts";
import type { ConfigCandidate } from "./config-source/config-source.ts";
import {
  type NodeFacts,
  resolveNodeDefaults,
  validateCandidate,
} from "./config-source/resolve-config.ts";
import type { SynthesisObserver } from "./data-plane.ts";
import { type DnsSettings, dnsSettingsFrom } from "./dns/settings.ts";
import { AgentError, asAgentError } from "./errors.ts";

/** The NAT64 data plane as the agent drives it (nat64/runtime.ts): any engine, none included. */
export interface AgentDataPlane {
  apply(
    config: ResolvedRelayConfig,
  ): Promise<{ changes: readonly string[]; warnings: readonly string[] }>;
  readonly observer: SynthesisObserver;
  /** Whether what apply made is still in place (managed mode reports it). */
  healthy?(): Promise<{ ok: boolean; reason?: string }>;
  /** Its own Prometheus exposition text, appended to the DNS server's on `metricsListen`. */
  metrics?(): Promise<string>;
  close(): Promise<void>;
}

/** The DNS side: a worker thread, worker processes, or a server on this thread (dns/agent-dns.ts). */
export interface AgentDns {
  /**
   * Called once a config is known to be valid, before the data plane converges: the DNS side
   * may start loading what `apply` will need (a worker thread's code). Serves nothing yet.
   */
  prepare?(config: ResolvedRelayConfig): void;
  apply(settings: DnsSettings, config: ResolvedRelayConfig): Promise<void>;
  /** Config keys this DNS side cannot change without a restart (e.g. the cluster's metrics). */
  readonly restartKeys: readonly string[];
  close(): Promise<void>;
}

export interface AgentParts {
  readonly dns: AgentDns;
  readonly dataPlane?: AgentDataPlane;
  readonly node: NodeFacts;
  readonly logger: Logger;
  /** SOA serial of a configuration: seconds since the epoch by default. */
  readonly serial?: () => number;
}

const epochSeconds = () => Math.floor(Date.now() / 1000);

/** Top-level keys whose values differ between two configs. */
export function changedKeys(
  before: ResolvedRelayConfig | undefined,
  after: ResolvedRelayConfig,
): string[] {
  if (!before) return [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const value = (config: ResolvedRelayConfig, key: string) =>
    JSON.stringify((config as unknown as Record<string, unknown>)[key]);
  return [...keys].filter((key) => value(before, key) !== value(after, key)).sort();
}

export class Agent {
  private readonly parts: AgentParts;
  private current: ResolvedRelayConfig | undefined;
  private currentSettings: DnsSettings | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(parts: AgentParts) {
    this.parts = parts;
  }

  /** The config now serving (undefined before the first successful apply). */
  get config(): ResolvedRelayConfig | undefined {
    return this.current;
  }

  /** Validates, resolves and applies one candidate. Never throws: refusals are results. */
  applyCandidate(candidate: ConfigCandidate): Promise<ApplyResult> {
    return this.serialize(async () => {
      let config: ResolvedRelayConfig;
      let warnings: readonly string[];
      try {
        const validated = validateCandidate(candidate);
        warnings = validated.warnings;
        config = await resolveNodeDefaults(validated.config, candidate.origin, this.parts.node);
      } catch (error) {
        return this.refused(candidate.origin, asAgentError(error));
      }
      const result = await this.applyNow(config, candidate.origin);
      return result.ok ? { ...result, warnings: [...warnings, ...result.warnings] } : result;
    });
  }

  /** Applies a resolved config whole, or leaves the previous one serving. Never throws. */
  apply(config: ResolvedRelayConfig, origin = "config"): Promise<ApplyResult> {
    return this.serialize(() => this.applyNow(config, origin));
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private refused(origin: string, error: AgentError): ApplyResult {
    return {
      ok: false,
      origin,
      code: error.code,
      message: error.message,
      problems: error.problems,
      keptPrevious: this.current !== undefined,
    };
  }

  private async applyNow(config: ResolvedRelayConfig, origin: string): Promise<ApplyResult> {
    const previous = this.current;
    const previousSettings = this.currentSettings;
    // Plan: everything that can refuse the config without touching anything.
    let settings: DnsSettings;
    try {
      settings = dnsSettingsFrom(config, (this.parts.serial ?? epochSeconds)());
    } catch (error) {
      return this.refused(origin, new AgentError("invalid_config", (error as Error).message));
    }
    const { dns, dataPlane } = this.parts;
    dns.prepare?.(config);
    let hostChanges: readonly string[] = [];
    try {
      // The data plane logs its own warnings (no tailscale CLI, a fast path that did not load).
      if (dataPlane) ({ changes: hostChanges } = await dataPlane.apply(config));
    } catch (error) {
      // The data plane put itself back to its previous state before throwing.
      return this.refused(origin, asAgentError(error));
    }
    try {
      await dns.apply(settings, config);
    } catch (error) {
      const failure = asAgentError(error);
      await this.rollBack(previous, previousSettings);
      return this.refused(origin, failure);
    }
    this.current = config;
    this.currentSettings = settings;
    const changed = changedKeys(previous, config);
    return {
      ok: true,
      origin,
      changedKeys: changed,
      hostChanges,
      restartRequired: changed.filter((key) => dns.restartKeys.includes(key)),
      warnings: [],
    };
  }

  private async rollBack(
    previous: ResolvedRelayConfig | undefined,
    settings: DnsSettings | undefined,
  ): Promise<void> {
    const { logger, dns, dataPlane } = this.parts;
    if (!previous || !settings) return;
    try {
      await dataPlane?.apply(previous);
      await dns.apply(settings, previous);
    } catch (error) {
      logger.error({ err: error }, "going back to the previous configuration failed");
    }
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.parts.dns.close();
    await this.parts.dataPlane?.close();
  }
}
