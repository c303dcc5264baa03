// Kernel routes for the prefix and the pool into the tun. Only routes the record says we added
// are ever deleted; those through a tun that is being deleted go with it.

import { sameCidr } from "../host/cidr-text.ts";
import type { Route } from "../host/ip-route.ts";
import type { DesiredRoute } from "./desired-state.ts";
import { APPLY_FIX, type HealthCheck, leftover } from "./health-check.ts";
import type { Change, HostResource } from "./resource.ts";
import { planned, unique } from "./resource.ts";

const routesCheck = (routes: readonly DesiredRoute[]): HealthCheck => ({
  id: "routes",
  title: `routes ${routes.map((route) => `${route.destination} dev ${route.device}`).join(", ")}`,
  impact:
    "the kernel does not send packets to the prefix (or answers to the pool) into the translator",
  fix: APPLY_FIX,
  healthy: "present",
});

export const sameRoute = (a: DesiredRoute, b: DesiredRoute) =>
  a.family === b.family && sameCidr(a.destination, b.destination) && a.device === b.device;

/** The routes on every device the desired state or the record names. */
export type ObservedRoutes = readonly Route[];

export const routesResource: HostResource<ObservedRoutes> = {
  name: "routes",
  async observe({ desired, record, host }) {
    const devices = unique([...desired.routes, ...record.routes].map((route) => route.device));
    return (await Promise.all(devices.map((device) => host.ip.routes(device)))).flat();
  },
  plan(desired, observed, record, host) {
    const changes: Change[] = [];
    const check = routesCheck(desired.routes);
    for (const route of desired.routes) {
      if (observed.some((existing) => sameRoute(existing, route))) continue;
      changes.push({
        resource: "routes",
        area: "route",
        summary: `add route ${route.destination} dev ${route.device}`,
        drift: { check, detail: `${route.destination} dev ${route.device} missing` },
        effects: [],
        undo: false,
        run: async (current) => {
          await host.ip.addRoute(route);
          return {
            ...current,
            routes: [...current.routes.filter((r) => !sameRoute(r, route)), route],
          };
        },
      });
    }
    // The tun resource deletes a tun no desired state has; its routes go with it.
    const deletedTun = desired.tun ? undefined : record.tun;
    for (const route of record.routes) {
      if (desired.routes.some((wanted) => sameRoute(wanted, route))) continue;
      if (!observed.some((existing) => sameRoute(existing, route))) continue;
      if (route.device === deletedTun) continue;
      changes.push({
        resource: "routes",
        area: "route",
        summary: `delete route ${route.destination} dev ${route.device}`,
        drift: leftover(`route ${route.destination} dev ${route.device} left over`),
        effects: [],
        undo: true,
        run: async (current) => {
          await host.ip.deleteRoute(route);
          return { ...current, routes: current.routes.filter((r) => !sameRoute(r, route)) };
        },
      });
    }
    return planned(desired.routes.length ? [check] : [], changes);
  },
};
