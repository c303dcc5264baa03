// The NAT64 data plane as the agent runs it: apply the desired state, supervise tayga, feed the
// open-proxy guard from DNS answers. `agent run` owns one of these for its whole life.
import { rm } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import type { Nat64Engine } from "../../core/config/engine.ts";
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import { cidr } from "../../core/ip.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import type { HostPaths } from "../host/paths.ts";
import type { AcceleratorRuntime } from "../resources/accelerators/accelerator.ts";
import { ACCELERATORS } from "../resources/accelerators/index.ts";
import type { DataPlaneHost } from "../resources/data-plane-host.ts";
import { type DesiredDataPlane, desiredDataPlane } from "../resources/desired-state.ts";
import { nftTableResource } from "../resources/nft-table.ts";
import {
  appliedOutcome,
  applyPlan,
  dataPlaneResources,
  type Plan,
  planDataPlane,
} from "../resources/plan.ts";
import {
  acceleratorRecord,
  type DataPlaneRecord,
  EMPTY_RECORD,
  readRecord,
  removeRecord,
  writeRecord,
} from "../resources/record.ts";
import { TAYGA_PROCESS } from "../resources/tayga-process.ts";
import {
  type TranslatorProbe,
  translatorFor,
  usableTranslator,
} from "../resources/translators/index.ts";
import type { Translator } from "../resources/translators/translator.ts";
import { allowedIpv4, allowSetOf, type GuardEntry, GuardFeeder } from "./guard.ts";
import { readGuardState, writeGuardState } from "./guard-state.ts";
import { NFT_FAMILY, NFT_TABLE } from "./nft-ruleset.ts";
import type { TaygaProcesses } from "./tayga-processes.ts";
import { type Launcher, TaygaSupervisor } from "./tayga-supervisor.ts";

export interface ApplyReport {
  readonly engine: Nat64Engine;
  readonly changes: readonly string[];
  readonly warnings: readonly string[];
}

/** What `agent run` plugs into its DNS server: apply on start and reload, observe, close. */
export interface DataPlane {
  apply(config: ResolvedRelayConfig): Promise<ApplyReport>;
  readonly observer: SynthesisObserver;
  close(): Promise<void>;
}

export interface Nat64DataPlaneOptions {
  readonly host: DataPlaneHost;
  readonly paths: HostPaths;
  readonly log?: (message: string) => void;
  readonly launch?: Launcher;
  /** How often the health check looks at tayga, its tun and our nft table (ms); 0: never. */
  readonly healthIntervalMs?: number;
  /**
   * Whether the host can run a translator that has a requirement (Jool: its kernel module);
   * default: the translator's own probe. One that cannot is replaced by its fallback.
   */
  readonly translatorAvailable?: TranslatorProbe;
}

export class Nat64DataPlane implements DataPlane {
  private readonly options: Nat64DataPlaneOptions;
  private feeder: GuardFeeder | undefined;
  private tayga: TaygaSupervisor | undefined;
  private desired: DesiredDataPlane | undefined;
  private ownIpv4 = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private healthTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Each accelerator's work between applies (the fast path's map mirror), by its name. */
  private readonly accelerators: readonly { name: string; runtime: AcceleratorRuntime }[];
  /** Declined changes already said: the same refusal is not logged again on every apply. */
  private declinedSaid = new Set<string>();

  /** The host as this data plane's plans see it: tayga is started under its supervisor. */
  private readonly host: DataPlaneHost;

  constructor(options: Nat64DataPlaneOptions) {
    this.options = options;
    this.host = { ...options.host, tayga: this.supervisedTayga() };
    this.accelerators = ACCELERATORS.flatMap((accelerator) => {
      const runtime = accelerator.start?.({
        host: options.host,
        ...(options.log ? { log: options.log } : {}),
        exclusive: (task) => this.serialize(task),
      });
      return runtime ? [{ name: accelerator.name, runtime }] : [];
    });
  }

  readonly observer: SynthesisObserver = (ipv4s, ttlSeconds) =>
    this.feeder ? this.feeder.allow(ipv4s, ttlSeconds) : undefined;

  /** One apply at a time: start-up, SIGHUP reloads and tayga restarts share this queue. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  apply(config: ResolvedRelayConfig): Promise<ApplyReport> {
    return this.serialize(() => this.applyNow(config));
  }

  /**
   * Atomic from the outside: when any step fails, the host is brought back to the previous
   * desired state (the translator and guard with it) and the error says which step failed.
   * The very first apply has no previous state to return to; `agent run` then does not start.
   */
  private async applyNow(config: ResolvedRelayConfig): Promise<ApplyReport> {
    const usable = await usableTranslator(
      config,
      this.options.host,
      this.options.translatorAvailable,
    );
    const warnings = usable.warnings;
    const desired = desiredDataPlane(usable.config, this.options.paths);
    const previous = this.desired;
    try {
      return await this.converge(desired, warnings);
    } catch (error) {
      if (previous) {
        this.options.log?.(
          `warning: data plane: ${(error as Error).message}; going back to the previous state`,
        );
        await this.converge(previous, []).catch((rollback: Error) =>
          this.options.log?.(`warning: data plane: going back failed too: ${rollback.message}`),
        );
      }
      throw error;
    }
  }

  private async converge(desired: DesiredDataPlane, warnings: string[]): Promise<ApplyReport> {
    const { paths } = this.options;
    const host = this.host;
    // Set first: a tayga started by this plan repairs its tun toward this state, not the last.
    const previous = this.desired;
    this.desired = desired;
    const record = await readRecord(paths.dataPlaneRecord);
    const plan = await planDataPlane(desired, host, record);
    const after = await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
    const translator = translatorFor(desired.engine);
    if (!translator) await this.forgetState(after);
    const outcome = appliedOutcome(plan, after);
    warnings.push(...plan.warnings, ...this.freshDeclined(outcome.declined));
    if (translator) {
      this.ownIpv4 = new Set((await host.ip.addresses()).filter((ip) => !ip.includes(":")));
    }
    await this.updateFeeder(desired, previous, plan);
    this.followAccelerators(desired, after);
    if (translator) this.startHealthCheck();
    else this.stopHealthCheck();
    const changes = outcome.done.map((change) => change.summary);
    const log = this.options.log;
    for (const warning of warnings) log?.(`warning: ${warning}`);
    if (changes.length === 0) log?.(`data plane (${desired.engine}): up to date, no changes`);
    for (const change of changes) log?.(`data plane: ${change}`);
    return { engine: desired.engine, changes, warnings };
  }

  /** The refusals not said by the apply before (each is said once while it lasts). */
  private freshDeclined(declined: readonly string[]): string[] {
    const fresh = declined.filter((reason) => !this.declinedSaid.has(reason));
    this.declinedSaid = new Set(declined);
    return fresh;
  }

  /** Each accelerator's runtime follows its slice and what its record says is attached. */
  private followAccelerators(desired: DesiredDataPlane, record: DataPlaneRecord): void {
    for (const { name, runtime } of this.accelerators) {
      runtime.follow(desired.accelerators?.[name], acceleratorRecord(record, name));
    }
  }

  /**
   * Keeps the guard feeder's memory equal to the kernel's allow set. A new feeder (first apply,
   * engine or prefix change, table replaced or recreated) is seeded from what the set holds; a
   * set that was just created empty (reboot, `nft flush ruleset`) gets back what the old feeder
   * remembered and what was saved on disk, so clients holding cached answers are not cut off.
   */
  private async updateFeeder(
    desired: DesiredDataPlane,
    previous: DesiredDataPlane | undefined,
    plan: Plan,
  ): Promise<void> {
    const translator = translatorFor(desired.engine);
    if (!translator) {
      this.feeder = undefined;
      return;
    }
    const tableChanged = plan.effects.has("table-created") || plan.effects.has("table-replaced");
    const changed = previous?.prefix !== desired.prefix || previous?.engine !== desired.engine;
    if (this.feeder && !tableChanged && !changed) return;
    const remembered = this.feeder?.entries() ?? [];
    this.feeder = this.newFeeder(desired, translator);
    if (plan.effects.has("table-created")) {
      await this.restoreGuard(remembered);
    } else {
      this.feeder.reset(await this.liveGuardEntries(desired, translator));
    }
  }

  private newFeeder(desired: DesiredDataPlane, translator: Translator): GuardFeeder {
    const nft = this.options.host.nft;
    return new GuardFeeder({
      side: translator.guardSide,
      prefix: desired.prefix,
      runScript: (script) => nft.run(script),
      ownAddresses: () => this.ownIpv4,
      onFlushed: () => this.scheduleGuardSave(),
    });
  }

  /** Puts remembered and saved entries into a freshly created (empty) allow set. */
  private async restoreGuard(remembered: readonly GuardEntry[]): Promise<void> {
    const saved = await readGuardState(this.options.paths.guardState);
    const latest = new Map<string, number>();
    for (const entry of [...saved, ...remembered])
      latest.set(entry.ipv4, Math.max(latest.get(entry.ipv4) ?? 0, entry.expiresAt));
    const restored = await this.feeder?.restore(
      [...latest].map(([ipv4, expiresAt]) => ({ ipv4, expiresAt })),
    );
    if (restored) this.options.log?.(`data plane: restored ${restored} guard entries`);
  }

  /** The translator's allow set's live elements, keyed by IPv4 as the feeder keeps them. */
  private async liveGuardEntries(desired: DesiredDataPlane, translator: Translator) {
    const side = translator.guardSide;
    const live = await this.options.host.nft
      .elements(NFT_FAMILY, NFT_TABLE, allowSetOf(side))
      .catch(() => []);
    const prefix = cidr(desired.prefix);
    return live.flatMap((element) => {
      const address = allowedIpv4(side, prefix, element.address);
      return address === undefined
        ? []
        : [{ address, timeoutSeconds: element.expiresSeconds ?? 0 }];
    });
  }

  /**
   * With nothing of ours left on the host, the record and the saved guard entries mean nothing
   * either: they go, so the state directory is as it was before the first apply. A record that
   * still names the directories made to hold it stays, for uninstall to remove them.
   */
  private async forgetState(record: DataPlaneRecord): Promise<void> {
    const { paths } = this.options;
    const { stateDirs, ...rest } = record;
    const { stateDirs: _none, ...empty } = EMPTY_RECORD;
    await rm(paths.guardState, { force: true });
    if (stateDirs.length === 0 && isDeepStrictEqual(rest, empty)) {
      await removeRecord(paths.dataPlaneRecord);
    }
  }

  /**
   * tayga's processes for the tayga resource: the one this data plane supervises (restarted
   * whenever it exits, with backoff). Orphans of an earlier agent are the supervisor's to
   * replace when it starts, so they do not count as running here.
   */
  private supervisedTayga(): TaygaProcesses {
    return {
      running: async () => (this.tayga?.running() ? [this.tayga.pid ?? 0] : []),
      start: async (confPath) => {
        if (this.tayga) {
          await this.tayga.restart();
          return;
        }
        this.tayga = new TaygaSupervisor({
          confPath,
          ...(this.options.launch ? { launch: this.options.launch } : {}),
          ...(this.options.log ? { log: this.options.log } : {}),
          beforeStart: () => this.ensureTun(),
          exclusive: (task) => this.serialize(task),
        });
        await this.tayga.start();
      },
      stop: async () => {
        const pid = this.tayga?.pid;
        await this.tayga?.stop();
        this.tayga = undefined;
        return pid === undefined ? [] : [pid];
      },
    };
  }

  /** Before each tayga start: re-create the tun and its routes if someone removed them. */
  private async ensureTun(): Promise<void> {
    const desired = this.desired;
    if (!desired?.tun || this.closed) return;
    const { host } = this.options;
    if ((await host.ip.linkExists(desired.tun.name)) && (await host.ip.linkUp(desired.tun.name))) {
      const routes = await host.ip.routes(desired.tun.name);
      if (desired.routes.every((r) => routes.some((a) => a.destination === r.destination))) return;
    }
    // Not the tayga resource: this runs inside tayga's own start.
    await this.repair(desired, { withTayga: false });
  }

  /**
   * Brings the host back to the desired state after something removed part of it. When that
   * recreates or replaces the table, the guard feeder is resynchronized with the new set.
   */
  private async repair(desired: DesiredDataPlane, options = { withTayga: true }): Promise<Plan> {
    const { paths } = this.options;
    const record = await readRecord(paths.dataPlaneRecord);
    const resources = dataPlaneResources().filter(
      (resource) => options.withTayga || resource.name !== TAYGA_PROCESS,
    );
    const plan = await planDataPlane(desired, this.host, record, { resources });
    const after = await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
    const outcome = appliedOutcome(plan, after);
    const log = this.options.log;
    for (const change of outcome.done) log?.(`data plane (repair): ${change.summary}`);
    for (const reason of this.freshDeclined(outcome.declined)) log?.(`warning: ${reason}`);
    await this.updateFeeder(desired, desired, plan);
    this.followAccelerators(desired, after);
    return plan;
  }

  /** The table on the host is ours as rendered (a flush or a hand edit makes it differ). */
  private async tableHealthy(): Promise<{ ok: boolean; reason?: string }> {
    const desired = this.desired;
    if (!desired?.nft) return { ok: true };
    // Healthy = the table resource plans nothing: the same plan `agent apply` would make.
    const { host } = this.options;
    const context = { desired, record: EMPTY_RECORD, host };
    const plan = nftTableResource.plan(
      desired,
      await nftTableResource.observe(context),
      EMPTY_RECORD,
      host,
    );
    const effects = new Set(plan.changes.flatMap((change) => change.effects));
    if (effects.size === 0) return { ok: true };
    return {
      ok: false,
      reason: effects.has("table-created")
        ? `table ${NFT_FAMILY} ${NFT_TABLE} is missing`
        : `table ${NFT_FAMILY} ${NFT_TABLE} differs from the desired ruleset`,
    };
  }

  /** Health: our nft table as rendered, tayga up, and its tun present. */
  async healthy(): Promise<{ ok: boolean; reason?: string }> {
    const desired = this.desired;
    if (!desired || !translatorFor(desired.engine)) return { ok: true };
    const table = await this.tableHealthy();
    if (!table.ok) return table;
    if (!desired.tun) return { ok: true };
    if (!this.tayga?.running()) return { ok: false, reason: "tayga is not running" };
    if (!(await this.options.host.ip.linkUp(desired.tun.name))) {
      return { ok: false, reason: `tun ${desired.tun.name} is missing or down` };
    }
    return { ok: true };
  }

  /**
   * One health round: a table that differs (flushed, edited) is re-applied with the guard
   * entries put back; a tayga still running on a tun deleted under it is restarted. A tayga that
   * exited is the supervisor's to restart (with backoff).
   */
  async checkHealth(): Promise<void> {
    const desired = this.desired;
    if (!desired || !translatorFor(desired.engine) || this.closed) return;
    const table = await this.tableHealthy();
    if (!table.ok) {
      this.options.log?.(`data plane unhealthy: ${table.reason}; re-applying`);
      // A recreated tun gets a new tayga: the tayga resource plans that restart.
      await this.repair(desired);
    }
    const health = await this.healthy();
    if (health.ok || !this.tayga?.running() || this.closed) return;
    this.options.log?.(`data plane unhealthy: ${health.reason}; restarting tayga`);
    await this.tayga.restart();
  }

  private startHealthCheck(): void {
    const interval = this.options.healthIntervalMs ?? 2000;
    if (this.healthTimer || interval <= 0) return;
    this.healthTimer = setInterval(() => {
      void this.serialize(() =>
        this.checkHealth().catch((error: Error) =>
          this.options.log?.(`warning: health check failed: ${error.message}`),
        ),
      );
    }, interval);
    this.healthTimer.unref();
  }

  private stopHealthCheck(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = undefined;
  }

  private scheduleGuardSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveGuard();
    }, 1000);
    this.saveTimer.unref();
  }

  private async saveGuard(): Promise<void> {
    const entries = this.feeder?.entries();
    if (!entries) return;
    await writeGuardState(this.options.paths.guardState, entries).catch((error: Error) =>
      this.options.log?.(`warning: cannot save guard entries: ${error.message}`),
    );
  }

  /** The accelerators' Prometheus lines; a failure to read them costs the scrape nothing. */
  async metrics(): Promise<string> {
    const parts = await Promise.all(
      this.accelerators.map(({ runtime }) => runtime.metrics().catch(() => "")),
    );
    return parts.join("");
  }

  get taygaPid(): number | undefined {
    return this.tayga?.pid;
  }

  /** Stops tayga; the host state stays (it is the persisted data plane). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopHealthCheck();
    for (const { runtime } of this.accelerators) runtime.close();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saveGuard();
    await this.tayga?.stop();
    this.tayga = undefined;
  }
}
