// The types the install's host resources share (resources/resource.ts, ResourceFamily): the unit
// and its files are planned toward a desired install, keep install.json as their record, and
// change the host through the filesystem and systemd.
import type { HostPaths } from "../../host/paths.ts";
import type { Systemd } from "../../host/systemd.ts";
import type { Change, ObserveContext, ResourcePlan } from "../resource.ts";
import type { DesiredInstall } from "./desired-install.ts";
import type { KeptFile } from "./file-ownership.ts";
import type { InstallRecord } from "./install-record.ts";

/** What a change to the unit means, so callers switch on a type and never parse the summary. */
export type UnitEffect =
  /** The unit file was written or removed: systemd must re-read it (`daemon-reload`). */
  | "unit-file-changed"
  /** systemd re-read its unit files. */
  | "daemon-reloaded"
  /** The unit was enabled: it starts at boot. */
  | "unit-enabled"
  /** The unit was started now. */
  | "unit-started"
  /** The unit was stopped and disabled. */
  | "unit-disabled";

export interface InstallHost {
  readonly paths: HostPaths;
  readonly systemd: Systemd;
}

export interface InstallFamily {
  readonly desired: DesiredInstall;
  /** undefined: no install here (no install.json). */
  readonly record: InstallRecord | undefined;
  readonly host: InstallHost;
  readonly effect: UnitEffect;
}

export interface InstallChange extends Change<InstallFamily> {
  /** What install or uninstall prints once it ran (`removed /etc/nat64-relay/agent-token`). */
  readonly done: string;
}

export interface InstallResourcePlan extends ResourcePlan<InstallFamily> {
  readonly changes: readonly InstallChange[];
  /** Files of install's that the empty install leaves in place (edited), and why. */
  readonly kept: readonly KeptFile[];
}

/** A host resource of the install: a HostResource whose plan also says what it keeps. */
export interface InstallResource<Observed> {
  readonly name: string;
  observe(context: ObserveContext<InstallFamily>): Promise<Observed>;
  plan(
    desired: DesiredInstall,
    observed: Observed,
    record: InstallRecord | undefined,
    host: InstallHost,
  ): InstallResourcePlan;
}
