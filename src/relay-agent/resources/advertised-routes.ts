// The prefix in `tailscale --advertise-routes`, merged with what the operator advertises: we
// add ours and remove only routes the record says we added.
import { includesCidr, sameCidr } from "../host/cidr-text.ts";
import type { HostResource } from "./resource.ts";

/** Merges our route into the advertised list: never drops a route someone else added. */
export function mergeAdvertisedRoutes(
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const kept = current.filter((route) => !includesCidr(remove, route) || includesCidr(add, route));
  return [...kept, ...add.filter((route) => !includesCidr(kept, route))].filter(
    (route, index, all) => all.findIndex((other) => sameCidr(other, route)) === index,
  );
}

/** undefined: no tailscale CLI, so nothing can be advertised. */
export type ObservedAdvertisedRoutes = readonly string[] | undefined;

export const advertisedRoutesResource: HostResource<ObservedAdvertisedRoutes> = {
  name: "advertised-routes",
  async observe({ desired, record, host }) {
    if (!desired.advertiseRoute && record.advertisedRoutes.length === 0) return [];
    if (!host.tailscale || !(await host.tailscale.available())) return undefined;
    return host.tailscale.advertisedRoutes();
  },
  plan(desired, current, record, host) {
    const wanted = desired.advertiseRoute;
    const warnings: string[] = [];
    const tailscale = host.tailscale;
    if (current === undefined || !tailscale) {
      if (wanted) {
        warnings.push(
          `tailscale CLI not found: not advertising ${wanted}; run \`tailscale set --advertise-routes=<current routes>,${wanted}\` yourself or install tailscale`,
        );
      }
      return { changes: [], warnings };
    }
    if (!wanted && desired.engine !== "none") {
      warnings.push(
        `advertise: false: not advertising ${desired.prefix}; clients need a route to it (subnet route or your own routing)`,
      );
    }
    const stale = record.advertisedRoutes.filter((route) => !wanted || !sameCidr(route, wanted));
    const add = wanted && !includesCidr(current, wanted) ? [wanted] : [];
    const remove = stale.filter((route) => includesCidr(current, route));
    if (add.length === 0 && remove.length === 0) return { changes: [], warnings };
    const next = mergeAdvertisedRoutes(current, add, remove);
    const parts = [...add.map((r) => `+${r}`), ...remove.map((r) => `-${r}`)].join(" ");
    return {
      warnings,
      changes: [
        {
          resource: "advertised-routes",
          area: "tailscale",
          summary: `tailscale set --advertise-routes=${next.join(",")} (${parts}; was ${current.join(",") || "none"})`,
          effects: [],
          undo: false,
          run: async (record) => {
            // Read again right before the write: the list may have changed since planning.
            const latest = await tailscale.advertisedRoutes();
            await tailscale.setAdvertisedRoutes(mergeAdvertisedRoutes(latest, add, remove));
            return {
              ...record,
              advertisedRoutes: [
                ...new Set([
                  ...record.advertisedRoutes.filter((r) => !includesCidr(remove, r)),
                  ...add,
                ]),
              ],
            };
          },
        },
      ],
    };
  },
};
