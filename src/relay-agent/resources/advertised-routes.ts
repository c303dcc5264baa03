// The prefix in `tailscale --advertise-routes`, merged with what the operator advertises: we
// add ours and remove only routes the record says we added (`--advertise-routes` replaces the
// whole list: docs/design.md, "Tailscale facts").
import { includesCidr, sameCidr } from "../host/cidr-text.ts";
import { type HealthCheck, leftover } from "./health-check.ts";
import type { HostResource } from "./resource.ts";
import { translatorFor } from "./translators/index.ts";

export const ADVERTISED_CHECK_ID = "advertised";

const advertisedCheck = (route: string): HealthCheck => ({
  id: ADVERTISED_CHECK_ID,
  title: `prefix ${route} in --advertise-routes`,
  impact: "the relay does not advertise the prefix: clients resolve names but have no route",
  fix: "run `nat64-relay agent apply` (it merges the prefix into --advertise-routes)",
  healthy: "advertised",
});

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
      return { changes: [], checks: [], warnings };
    }
    // Without a translator (engine none) there is nothing to route to, so nothing to warn about.
    if (!wanted && translatorFor(desired.engine)) {
      warnings.push(
        `advertise: false: not advertising ${desired.prefix}; clients need a route to it (subnet route or your own routing)`,
      );
    }
    const check = wanted ? advertisedCheck(wanted) : undefined;
    const checks = check ? [check] : [];
    const stale = record.advertisedRoutes.filter((route) => !wanted || !sameCidr(route, wanted));
    const add = wanted && !includesCidr(current, wanted) ? [wanted] : [];
    const remove = stale.filter((route) => includesCidr(current, route));
    if (add.length === 0 && remove.length === 0) return { changes: [], checks, warnings };
    const next = mergeAdvertisedRoutes(current, add, remove);
    const parts = [...add.map((r) => `+${r}`), ...remove.map((r) => `-${r}`)].join(" ");
    return {
      warnings,
      checks,
      changes: [
        {
          resource: "advertised-routes",
          area: "tailscale",
          summary: `tailscale set --advertise-routes=${next.join(",")} (${parts}; was ${current.join(",") || "none"})`,
          drift:
            check && add.length
              ? { check, detail: `advertised: ${current.join(", ") || "none"}` }
              : leftover(`${remove.join(", ")} still advertised`),
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
