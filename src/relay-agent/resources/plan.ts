// The data plane's plan: every host resource observes the host and plans toward the desired
// state; applying runs the changes and keeps the record of what was added, so the plan toward
// the empty state (teardown) undoes exactly that. A second apply finds nothing to do.
import { rmdir } from "node:fs/promises";
import { AgentError } from "../errors.ts";
import { acceleratorResources } from "./accelerators/index.ts";
import { advertisedRoutesResource } from "./advertised-routes.ts";
import type { DataPlaneHost } from "./data-plane-host.ts";
import { type DesiredDataPlane, emptyDataPlane } from "./desired-state.ts";
import { filesResource } from "./files.ts";
import { type HealthResult, judgeHealth } from "./health-check.ts";
import { joolInstanceResource } from "./jool-instance.ts";
import { nftTableResource } from "./nft-table.ts";
import type { DataPlaneRecord } from "./record.ts";
import type { Change, ChangeEffect, HostResource, ResourcePlan } from "./resource.ts";
import { routesResource } from "./routes.ts";
import { sysctlsResource } from "./sysctls.ts";
import { taygaProcessResource } from "./tayga-process.ts";
import { tunResource } from "./tun.ts";

/**
 * In the order additions run (forwarding and files first, the tun before its routes, the
 * table before either translator starts, so nothing is translated before the guard is in
 * place: Jool translates from the moment its instance exists, the advertised route after all
 * of them, accelerators on top); undos run in the reverse order, so a translator stops before
 * its table, tun and config go.
 */
export function dataPlaneResources(): HostResource[] {
  return [
    sysctlsResource,
    filesResource,
    tunResource,
    routesResource,
    nftTableResource,
    joolInstanceResource,
    taygaProcessResource,
    advertisedRoutesResource,
    ...acceleratorResources(),
  ] as HostResource[];
}

export interface Plan {
  readonly desired: DesiredDataPlane;
  readonly changes: readonly Change[];
  /** Things skipped on purpose (no tailscale CLI, advertise: false), one line each. */
  readonly warnings: readonly string[];
  /** Every effect of every change, once. */
  readonly effects: ReadonlySet<ChangeEffect>;
}

export interface PlanOptions {
  readonly resources?: readonly HostResource[];
  /** Teardown goes on without a resource whose host state cannot be read; apply does not. */
  readonly onObserveError?: (resource: HostResource, error: Error) => void;
}

/** Each resource's own plan, in resource order (one whose observe failed is left out). */
export async function planResources(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
  options: PlanOptions = {},
): Promise<ResourcePlan[]> {
  const context = { desired, record, host };
  const resources = options.resources ?? dataPlaneResources();
  const { onObserveError } = options;
  const observed = await Promise.all(
    resources.map((resource) =>
      onObserveError
        ? resource.observe(context).then(
            (value) => ({ ok: true as const, value }),
            (error: Error) => {
              onObserveError(resource, error);
              return { ok: false as const };
            },
          )
        : resource.observe(context).then((value) => ({ ok: true as const, value })),
    ),
  );
  return resources.flatMap((resource, index) => {
    const seen = observed[index];
    return seen?.ok ? [resource.plan(desired, seen.value, record, host)] : [];
  });
}

/**
 * The doctor's host checks: the plans `agent apply` would make, judged. An empty plan passes,
 * each change fails its check with what differs; a resource whose state cannot be read fails.
 */
export async function planHealth(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
  resources: readonly HostResource[] = dataPlaneResources(),
): Promise<HealthResult[]> {
  const unreadable: HealthResult[] = [];
  const plans = await planResources(desired, host, record, {
    resources,
    onObserveError: (resource, error) =>
      unreadable.push({
        id: resource.name,
        title: `${resource.name}: the host's state`,
        status: "fail",
        detail: `cannot read it: ${error.message.split("\n")[0]}`,
        cause: "the agent cannot tell whether this part of the host is as configured",
        fix: "run the doctor as root, with nft, ip and sysctl installed",
      }),
  });
  const judged = judgeHealth(
    plans.map((plan) => ({
      checks: plan.checks,
      drifts: [...plan.changes.map((change) => change.drift), ...(plan.findings ?? [])],
    })),
  );
  return [...judged, ...unreadable];
}

export async function planDataPlane(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
  options: PlanOptions = {},
): Promise<Plan> {
  const plans = await planResources(desired, host, record, options);
  const undos = plans.flatMap((plan) => plan.changes.filter((change) => change.undo)).reverse();
  const others = plans.flatMap((plan) => plan.changes.filter((change) => !change.undo));
  // Undos of one resource keep their own order (files before the directory holding them).
  const changes = [...groupByResource(undos), ...others];
  const effects = new Set(changes.flatMap((change) => change.effects));
  return {
    desired,
    changes,
    warnings: plans.flatMap((plan) => plan.warnings),
    effects,
  };
}

/** Reversed undos, regrouped so each resource's undos stay in the order it planned them. */
function groupByResource(reversed: readonly Change[]): Change[] {
  const order: string[] = [];
  const byResource = new Map<string, Change[]>();
  for (const change of reversed) {
    if (!byResource.has(change.resource)) order.push(change.resource);
    byResource.set(change.resource, [change, ...(byResource.get(change.resource) ?? [])]);
  }
  return order.flatMap((name) => byResource.get(name) ?? []);
}

/**
 * Runs the changes in order; the record is saved after each step so a failure loses nothing.
 * A failed step throws AgentError("host_failed") naming the step; what ran before it is in the
 * record, so planning toward the previous state undoes it.
 */
export async function applyPlan(
  plan: Plan,
  record: DataPlaneRecord,
  save: (record: DataPlaneRecord) => Promise<void>,
): Promise<DataPlaneRecord> {
  let current = record;
  for (const change of plan.changes) {
    try {
      current = await change.run(current);
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      throw new AgentError("host_failed", `[${change.area}] ${change.summary} failed: ${reason}`);
    }
    await save(current);
  }
  return current;
}

export interface AppliedOutcome {
  /** The changes that took effect, in the order they ran. */
  readonly done: readonly Change[];
  /** Why each declined change (an accelerator the kernel refused) did not take effect. */
  readonly declined: readonly string[];
}

/** After `applyPlan`: which changes took effect, read off the record they left. */
export function appliedOutcome(plan: Plan, after: DataPlaneRecord): AppliedOutcome {
  const reasons = plan.changes.map((change) => change.declined?.(after));
  return {
    done: plan.changes.filter((_change, index) => reasons[index] === undefined),
    declined: reasons.filter((reason) => reason !== undefined),
  };
}

export interface TeardownResult {
  readonly done: string[];
  readonly failed: string[];
}

/**
 * Applies the empty state: undoes everything the record says apply did (table, jool, routes,
 * tun, sysctl values, files, directories, advertised routes). Best effort per change: one
 * failure does not stop the rest; the failures are returned with their reason.
 */
export async function teardownDataPlane(
  host: DataPlaneHost,
  record: DataPlaneRecord,
  save: (record: DataPlaneRecord) => Promise<void> = async () => {},
): Promise<TeardownResult> {
  const done: string[] = [];
  const failed: string[] = [];
  const plan = await planDataPlane(emptyDataPlane({ prefix: "", pool: "" }), host, record, {
    onObserveError: (resource, error) =>
      failed.push(`${resource.name}: cannot read the host's state: ${error.message}`),
  });
  let current = record;
  for (const change of plan.changes) {
    try {
      current = await change.run(current);
      await save(current);
      done.push(change.summary);
    } catch (error) {
      failed.push(`${change.summary}: ${(error as Error).message}`);
    }
  }
  return { done, failed };
}

/** Removes a directory only when empty (we never delete what someone else put there). */
export async function removeIfEmpty(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch {
    return false;
  }
}
