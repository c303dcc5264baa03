// Runtime sysctls (forwarding). The value found before our first change is recorded and put
// back once no desired state wants the key any more.
import type { Sysctl } from "../host/sysctl.ts";
import type { Change, HostResource } from "./resource.ts";
import { noWarnings } from "./resource.ts";

/** The current value of every key the desired state or the record names. */
export type ObservedSysctls = Readonly<Record<string, string>>;

function setChange(sysctl: Sysctl, key: string, from: string, to: string): Change {
  return {
    resource: "sysctls",
    area: "sysctl",
    summary: `sysctl ${key}: ${from} → ${to}`,
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
    for (const [key, value] of Object.entries(desired.sysctls)) {
      const actual = observed[key] ?? "";
      if (actual !== value) changes.push(setChange(sysctl, key, actual, value));
    }
    for (const [key, before] of Object.entries(record.sysctlsBefore)) {
      if (key in desired.sysctls) continue;
      changes.push(restoreChange(sysctl, key, before));
    }
    return noWarnings(changes);
  },
};
