// Runtime sysctls (forwarding). The value found before our first change is recorded and put
// back once no desired state wants the key any more.
import type { Sysctl } from "../host/sysctl.ts";
import type { DesiredDataPlane } from "./desired-state.ts";
import { APPLY_FIX, type HealthCheck, leftover } from "./health-check.ts";
import type { Change, HostResource } from "./resource.ts";
import { planned } from "./resource.ts";

/** Forwarding at runtime and in its sysctl.d file (the files resource plans that one). */
export function forwardingCheck(desired: DesiredDataPlane): HealthCheck {
  const keys = Object.keys(desired.sysctls);
  return {
    id: "sysctl",
    title: "forwarding sysctls (runtime and persisted)",
    impact: "without forwarding the relay drops translated packets (now, or after a reboot)",
    fix: APPLY_FIX,
    healthy: [
      `${keys.join(", ")} = ${[...new Set(Object.values(desired.sysctls))].join(", ")}`,
      ...(desired.sysctlFile ? [desired.sysctlFile.path] : []),
    ].join("; "),
  };
}

/** The current value of every key the desired state or the record names. */
export type ObservedSysctls = Readonly<Record<string, string>>;

function setChange(
  check: HealthCheck,
  sysctl: Sysctl,
  key: string,
  from: string,
  to: string,
): Change {
  return {
    resource: "sysctls",
    area: "sysctl",
    summary: `sysctl ${key}: ${from} → ${to}`,
    drift: { check, detail: `${key}=${from || "?"}` },
    effects: [],
    undo: false,
    run: async (record) => {
      await sysctl.set(key, to);
      const before = key in record.sysctlsBefore ? {} : { [key]: from };
      return { ...record, sysctlsBefore: { ...record.sysctlsBefore, ...before } };
    },
  };
}

function restoreChange(sysctl: Sysctl, key: string, value: string): Change {
  return {
    resource: "sysctls",
    area: "sysctl",
    summary: `sysctl ${key} = ${value} (as before)`,
    drift: leftover(`${key} not restored to ${value}`),
    effects: [],
    undo: true,
    run: async (record) => {
      await sysctl.set(key, value);
      const { [key]: _restored, ...rest } = record.sysctlsBefore;
      return { ...record, sysctlsBefore: rest };
    },
  };
}

export const sysctlsResource: HostResource<ObservedSysctls> = {
  name: "sysctls",
  async observe({ desired, record, host }) {
    const keys = [
      ...new Set([...Object.keys(desired.sysctls), ...Object.keys(record.sysctlsBefore)]),
    ];
    const values = await Promise.all(keys.map((key) => host.sysctl.get(key)));
    return Object.fromEntries(keys.map((key, index) => [key, values[index] ?? ""]));
  },
  plan(desired, observed, record, { sysctl }) {
    const changes: Change[] = [];
    const wanted = Object.keys(desired.sysctls).length > 0;
    const check = forwardingCheck(desired);
    for (const [key, value] of Object.entries(desired.sysctls)) {
      const actual = observed[key] ?? "";
      if (actual !== value) changes.push(setChange(check, sysctl, key, actual, value));
    }
    for (const [key, before] of Object.entries(record.sysctlsBefore)) {
      if (key in desired.sysctls) continue;
      changes.push(restoreChange(sysctl, key, before));
    }
    return planned(wanted ? [check] : [], changes);
  },
};
