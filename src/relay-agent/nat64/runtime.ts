// The NAT64 data plane as the agent runs it: apply the desired state, supervise tayga, feed the
// open-proxy guard from DNS answers. `agent run` owns one of these for its whole life.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import type { SynthesisObserver } from "../data-plane.ts";
import type { HostPaths } from "../host/paths.ts";
import { applyPlan, type DataPlaneHost, planDataPlane } from "./apply.ts";
import { type DesiredDataPlane, desiredDataPlane } from "./desired-state.ts";
import { GuardFeeder } from "./guard.ts";
import { readGuardState, writeGuardState } from "./guard-state.ts";
import { ALLOWED_V4_SET, ALLOWED_V6_SET, NFT_FAMILY, NFT_TABLE } from "./nft-ruleset.ts";
import { readRecord, writeRecord } from "./record.ts";
import { type Launcher, TaygaSupervisor } from "./tayga-supervisor.ts";

export interface ApplyReport {
  readonly engine: "tayga" | "jool" | "none";
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
  /** How often the health check looks at tayga's tun (ms); 0 turns it off. */
  readonly healthIntervalMs?: number;
  /** True when `modprobe jool` works; engine jool falls back to tayga otherwise. */
  readonly joolAvailable?: () => Promise<boolean>;
}

export async function modprobeJool(host: DataPlaneHost): Promise<boolean> {
  return host.exec("modprobe", ["jool"]).then(
    () => true,
    () => false,
  );
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

  constructor(options: Nat64DataPlaneOptions) {
    this.options = options;
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

  private async applyNow(config: ResolvedRelayConfig): Promise<ApplyReport> {
    const { host, paths } = this.options;
    const warnings: string[] = [];
    let effective = config;
    if (config.engine === "jool") {
      const jool = await (this.options.joolAvailable?.() ?? modprobeJool(host));
      if (!jool) {
        warnings.push("engine jool: `modprobe jool` failed, using tayga instead");
        effective = { ...config, engine: "tayga" };
      }
    }
    const desired = desiredDataPlane(effective, paths);
    const record = await readRecord(paths.dataPlaneRecord);
    const plan = await planDataPlane(desired, host, record);
    await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
    warnings.push(...plan.warnings);
    const previous = this.desired;
    this.desired = desired;
    this.ownIpv4 = new Set((await host.ip.addresses()).filter((ip) => !ip.includes(":")));
    const tableChanged = plan.changes.some((change) => change.area === "nft");
    const tableCreated = plan.changes.some((change) => change.summary.startsWith("create table"));
    await this.updateFeeder(desired, previous, tableChanged, tableCreated);
    await this.updateTayga(desired, plan.taygaRestart);
    const changes = plan.changes.map((change) => change.summary);
    const log = this.options.log;
    for (const warning of warnings) log?.(`warning: ${warning}`);
    if (changes.length === 0) log?.(`data plane (${desired.engine}): up to date, no changes`);
    for (const change of changes) log?.(`data plane: ${change}`);
    return { engine: desired.engine, changes, warnings };
  }

  private async updateFeeder(
    desired: DesiredDataPlane,
    previous: DesiredDataPlane | undefined,
    tableChanged: boolean,
    tableCreated: boolean,
  ): Promise<void> {
    if (desired.engine === "none") {
      this.feeder = undefined;
      return;
    }
    const side = desired.engine === "tayga" ? "v4" : "v6";
    const changed = previous?.prefix !== desired.prefix || previous?.engine !== desired.engine;
    if (!this.feeder || tableChanged || changed) {
      const nft = this.options.host.nft;
      this.feeder = new GuardFeeder({
        side,
        prefix: desired.prefix,
        runScript: (script) => nft.run(script),
        ownAddresses: () => this.ownIpv4,
        onFlushed: () => this.scheduleGuardSave(),
      });
      if (tableCreated) {
        // A new, empty set (after a reboot): put back what clients may still hold in cache.
        const restored = await this.feeder.restore(
          await readGuardState(this.options.paths.guardState),
        );
        if (restored)
          this.options.log?.(`data plane: restored ${restored} guard entries from state`);
      } else if (side === "v4") {
        const live = await nft.elements(NFT_FAMILY, NFT_TABLE, ALLOWED_V4_SET).catch(() => []);
        this.feeder.reset(
          live.map((e) => ({ address: e.address, timeoutSeconds: e.expiresSeconds ?? 0 })),
        );
      } else {
        // The v6 set holds synthesized addresses; start empty and let answers refill it.
        void ALLOWED_V6_SET;
      }
    }
  }

  private async updateTayga(desired: DesiredDataPlane, restart: boolean): Promise<void> {
    if (!desired.tayga) {
      await this.tayga?.stop();
      this.tayga = undefined;
      this.stopHealthCheck();
      return;
    }
    if (!this.tayga) {
      this.tayga = new TaygaSupervisor({
        confPath: desired.tayga.confPath,
        ...(this.options.launch ? { launch: this.options.launch } : {}),
        ...(this.options.log ? { log: this.options.log } : {}),
        beforeStart: () => this.ensureTun(),
      });
      await this.tayga.start();
    } else if (restart || !this.tayga.running()) {
      await this.tayga.restart();
    }
    this.startHealthCheck();
  }

  /** Before each tayga start: re-create the tun and its routes if someone removed them. */
  private async ensureTun(): Promise<void> {
    const desired = this.desired;
    if (!desired?.tun || this.closed) return;
    const { host, paths } = this.options;
    if ((await host.ip.linkExists(desired.tun.name)) && (await host.ip.linkUp(desired.tun.name))) {
      const routes = await host.ip.routes(desired.tun.name);
      if (desired.routes.every((r) => routes.some((a) => a.destination === r.destination))) return;
    }
    const record = await readRecord(paths.dataPlaneRecord);
    const plan = await planDataPlane(desired, host, record);
    await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
    for (const change of plan.changes) this.options.log?.(`data plane (repair): ${change.summary}`);
  }

  /** Health: tayga up and its tun present. A vanished tun means restart tayga on a new one. */
  async healthy(): Promise<{ ok: boolean; reason?: string }> {
    const desired = this.desired;
    if (!desired?.tun) return { ok: true };
    if (!this.tayga?.running()) return { ok: false, reason: "tayga is not running" };
    if (!(await this.options.host.ip.linkUp(desired.tun.name))) {
      return { ok: false, reason: `tun ${desired.tun.name} is missing or down` };
    }
    return { ok: true };
  }

  private startHealthCheck(): void {
    const interval = this.options.healthIntervalMs ?? 2000;
    if (this.healthTimer || interval <= 0) return;
    this.healthTimer = setInterval(() => {
      void this.serialize(async () => {
        const health = await this.healthy().catch((error: Error) => ({
          ok: false,
          reason: error.message,
        }));
        // A tayga that exited is the supervisor's to restart (with backoff); this catches the
        // one still running on a tun that was deleted under it.
        if (health.ok || !this.tayga?.running() || this.closed) return;
        this.options.log?.(`data plane unhealthy: ${health.reason}; restarting tayga`);
        await this.tayga.restart();
      });
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

  get taygaPid(): number | undefined {
    return this.tayga?.pid;
  }

  /** Stops tayga; the host state stays (it is the persisted data plane). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopHealthCheck();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.saveGuard();
    await this.tayga?.stop();
    this.tayga = undefined;
  }
}
