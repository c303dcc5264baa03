// The install's plan: its resources observe the host and plan toward a desired install; applying
// runs the changes and saves install.json after each one, so a failure loses nothing and the
// next plan picks up from there. `agent install` applies the installed state, `agent uninstall`
// the empty one; a second apply finds nothing to do.
import { AgentError } from "../../errors.ts";
import { UNIT_NAME } from "../../host/paths.ts";
import type { DesiredInstall } from "./desired-install.ts";
import type { KeptFile } from "./file-ownership.ts";
import type { InstallChange, InstallHost, UnitEffect } from "./install-family.ts";
import { installFilesResource } from "./install-files.ts";
import type { InstallRecord } from "./install-record.ts";
import { type ObservedService, unitServiceResource } from "./unit-service.ts";

export interface InstallPlan {
  readonly changes: readonly InstallChange[];
  /** Files of the operator's that install leaves as they are, one line each. */
  readonly warnings: readonly string[];
  /** Files the empty install keeps (edited since install wrote them). */
  readonly kept: readonly KeptFile[];
  readonly effects: ReadonlySet<UnitEffect>;
}

const RESTART_TO_USE_NEW_UNIT = `${UNIT_NAME} is running as its previous unit file said: \`systemctl restart ${UNIT_NAME}\` runs it as the new one says`;

/**
 * A running unit keeps the command line it was started with: a new unit file takes effect at
 * its next start, which install does not force (a restart drops DNS answers for a moment).
 */
const runsOldUnit = (effects: ReadonlySet<UnitEffect>, service: ObservedService) =>
  effects.has("unit-file-changed") && service.active === true && !effects.has("unit-started");

/**
 * Files first, then the service (the unit file exists before it is enabled); undos run first and
 * in the reverse order, so the unit stops before its file goes. Each resource's changes keep the
 * order it planned them in (files before the directories holding them).
 */
export async function planInstall(
  desired: DesiredInstall,
  host: InstallHost,
  record: InstallRecord | undefined,
): Promise<InstallPlan> {
  const context = { desired, record, host };
  const [files, service] = await Promise.all([
    installFilesResource.observe(context),
    unitServiceResource.observe(context),
  ]);
  const plans = [
    installFilesResource.plan(desired, files, record, host),
    unitServiceResource.plan(desired, service, record, host),
  ];
  const undos = [...plans].reverse().flatMap((plan) => plan.changes.filter((c) => c.undo));
  const others = plans.flatMap((plan) => plan.changes.filter((change) => !change.undo));
  const changes = [...undos, ...others];
  const effects = new Set(changes.flatMap((change) => change.effects));
  return {
    changes,
    warnings: [
      ...plans.flatMap((plan) => plan.warnings),
      ...(runsOldUnit(effects, service) ? [RESTART_TO_USE_NEW_UNIT] : []),
    ],
    kept: plans.flatMap((plan) => plan.kept),
    effects,
  };
}

export interface AppliedInstall {
  /** The record as the last change that ran left it (undefined: install.json removed). */
  readonly record: InstallRecord | undefined;
  readonly done: readonly InstallChange[];
  /** The step that failed, in one line (`[systemd] systemctl enable … failed: …`). */
  readonly failure?: AgentError;
}

/**
 * Runs the changes in order and saves the record after each; stops at the first failure, which
 * it returns with what was done before it (already in the saved record).
 */
export async function applyInstallPlan(
  plan: InstallPlan,
  record: InstallRecord | undefined,
  save: (record: InstallRecord | undefined) => Promise<void>,
): Promise<AppliedInstall> {
  let current = record;
  const done: InstallChange[] = [];
  for (const change of plan.changes) {
    try {
      current = await change.run(current);
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      const failure = new AgentError(
        "host_failed",
        `[${change.area}] ${change.summary} failed: ${reason}`,
      );
      return { record: current, done, failure };
    }
    await save(current);
    done.push(change);
  }
  return { record: current, done };
}
