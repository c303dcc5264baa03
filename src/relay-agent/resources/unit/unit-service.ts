// The unit in systemd: enabled (started at boot) and, when asked, running now. Install enables it
// only when it was not enabled already, and notes that it did; uninstall disables (and stops)
// only a unit install enabled. Its plan toward the installed state is the doctor's `unit` check.
import { UNIT_NAME } from "../../host/paths.ts";
import { type HealthCheck, leftover } from "../health-check.ts";
import type { InstallChange, InstallHost, InstallResource } from "./install-family.ts";
import { type InstallRecord, NO_INSTALL_YET } from "./install-record.ts";

export interface ObservedService {
  /** undefined: not asked (the empty install decides on the record alone). */
  readonly enabled?: boolean;
  readonly active?: boolean;
}

export const UNIT_CHECK_ID = "unit";

const NOT_INSTALLED =
  "not installed as a service (no `agent install` here): the agent runs only as long as you run it";

/**
 * Enabled, when `agent install` put it there. An agent the operator runs by hand (no install
 * record) is only worth a warning: nothing is broken, but nothing starts it after a reboot.
 */
export function unitCheck(record: InstallRecord | undefined): HealthCheck {
  const title = `${UNIT_NAME} enabled`;
  if (!record) {
    return {
      id: UNIT_CHECK_ID,
      title,
      severity: "warn",
      fix: "run `nat64-relay agent install` to start it at boot",
      healthy: "enabled",
    };
  }
  return {
    id: UNIT_CHECK_ID,
    title,
    impact: "after a reboot nothing starts the agent",
    fix: "run `nat64-relay agent install`",
    healthy: "enabled",
  };
}

function enable(host: InstallHost, record: InstallRecord | undefined, start: boolean) {
  return {
    resource: "unit-service",
    area: "systemd",
    summary: `enable ${UNIT_NAME}${start ? " and start it" : ""}`,
    done: `enabled ${UNIT_NAME}${start ? " and started it" : ""}`,
    drift: { check: unitCheck(record), detail: record ? "not enabled" : NOT_INSTALLED },
    effects: start ? ["unit-enabled", "unit-started"] : ["unit-enabled"],
    undo: false,
    run: async (current) => {
      await host.systemd.enable(UNIT_NAME, start);
      return { ...(current ?? NO_INSTALL_YET), unitEnabled: true };
    },
  } satisfies InstallChange;
}

function start(host: InstallHost, record: InstallRecord | undefined) {
  return {
    resource: "unit-service",
    area: "systemd",
    summary: `start ${UNIT_NAME}`,
    done: `started ${UNIT_NAME}`,
    drift: { check: unitCheck(record), detail: "enabled, not running" },
    effects: ["unit-started"],
    undo: false,
    run: async (current) => {
      await host.systemd.start(UNIT_NAME);
      return current ?? NO_INSTALL_YET;
    },
  } satisfies InstallChange;
}

function disable(host: InstallHost) {
  return {
    resource: "unit-service",
    area: "systemd",
    summary: `stop and disable ${UNIT_NAME}`,
    done: `stopped and disabled ${UNIT_NAME}`,
    drift: leftover(`${UNIT_NAME} still enabled`),
    effects: ["unit-disabled"],
    undo: true,
    run: async (current) => {
      await host.systemd.disable(UNIT_NAME);
      return current && { ...current, unitEnabled: false };
    },
  } satisfies InstallChange;
}

export const unitServiceResource = {
  name: "unit-service",
  async observe({ desired, host }): Promise<ObservedService> {
    if (!desired.service.enabled) return {};
    const enabled = await host.systemd.isEnabled(UNIT_NAME);
    const active = desired.service.started ? await host.systemd.isActive(UNIT_NAME) : undefined;
    return { enabled, ...(active === undefined ? {} : { active }) };
  },
  plan(desired, observed, record, host) {
    const changes: InstallChange[] = [];
    const { service } = desired;
    if (service.enabled && !observed.enabled) changes.push(enable(host, record, service.started));
    else if (service.enabled && service.started && !observed.active) {
      changes.push(start(host, record));
    }
    if (!service.enabled && record?.unitEnabled) changes.push(disable(host));
    const checks = service.enabled ? [unitCheck(record)] : [];
    return { changes, checks, warnings: [], kept: [] };
  },
} satisfies InstallResource<ObservedService>;
