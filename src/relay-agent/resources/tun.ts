// tayga's tun device: created with `tayga --mktun` (so it has the flags tayga expects), set up,
// and deleted once no desired state has it. Routes through it go with it.
import { APPLY_FIX, type HealthCheck, leftover } from "./health-check.ts";
import type { Change, HostResource } from "./resource.ts";
import { planned } from "./resource.ts";

const tunCheck = (name: string): HealthCheck => ({
  id: "tun",
  title: `tun ${name} present and up`,
  impact: "tayga has no device to translate on: packets to the prefix go nowhere",
  fix: APPLY_FIX,
  healthy: "present, up",
});

export interface ObservedTun {
  /** The device looked at: the desired tun, else the one the record says we created. */
  readonly name: string | undefined;
  readonly exists: boolean;
  readonly up: boolean;
}

export const tunResource: HostResource<ObservedTun> = {
  name: "tun",
  async observe({ desired, record, host }) {
    const name = desired.tun?.name ?? record.tun;
    if (!name) return { name, exists: false, up: false };
    const exists = await host.ip.linkExists(name);
    return { name, exists, up: exists && (await host.ip.linkUp(name)) };
  },
  plan(desired, observed, record, host) {
    const changes: Change[] = [];
    const tun = desired.tun;
    const check = tun && desired.tayga ? tunCheck(tun.name) : undefined;
    if (tun && desired.tayga && check) {
      const confPath = desired.tayga.confPath;
      const drift = { check, detail: observed.exists ? "down" : "missing" };
      if (!observed.exists) {
        changes.push({
          resource: "tun",
          area: "tun",
          summary: `create tun ${tun.name} (tayga --mktun)`,
          drift,
          effects: ["tun-recreated"],
          undo: false,
          run: async (current) => {
            await host.exec("tayga", ["--mktun", "-c", confPath]);
            return { ...current, tun: tun.name };
          },
        });
      }
      if (!observed.exists || !observed.up) {
        changes.push({
          resource: "tun",
          area: "tun",
          summary: `set ${tun.name} up`,
          drift,
          effects: ["tun-recreated"],
          undo: false,
          run: async (current) => {
            await host.ip.setLinkUp(tun.name);
            return current;
          },
        });
      }
    } else if (record.tun && observed.exists) {
      const name = record.tun;
      changes.push({
        resource: "tun",
        area: "tun",
        summary: `delete tun ${name}`,
        drift: leftover(`tun ${name} left over`),
        effects: [],
        undo: true,
        run: async (current) => {
          await host.ip.deleteLink(name);
          const { tun: _deleted, ...rest } = current;
          return { ...rest, routes: current.routes.filter((route) => route.device !== name) };
        },
      });
    }
    return planned(check ? [check] : [], changes);
  },
};
