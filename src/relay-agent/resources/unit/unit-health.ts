// The doctor's `unit` line, read off the plan `agent install` would make for the service: an
// empty plan passes; an enable it would do fails (or warns, with no install here); a systemctl
// that cannot tell warns "cannot check". So doctor and install cannot disagree.
import { type HealthResult, judgeHealth } from "../health-check.ts";
import type { DesiredInstall } from "./desired-install.ts";
import type { InstallHost } from "./install-family.ts";
import { readInstallRecord } from "./install-record.ts";
import {
  type ObservedService,
  UNIT_CHECK_ID,
  unitCheck,
  unitServiceResource,
} from "./unit-service.ts";

/** The service as install leaves it; the doctor does not ask for it to be running. */
const INSTALLED_SERVICE: DesiredInstall = {
  files: [],
  dirs: [],
  service: { enabled: true, started: false },
  purge: false,
};

export async function unitHealth(host: InstallHost): Promise<HealthResult[]> {
  // An unreadable install.json still says `agent install` ran here.
  const record = await readInstallRecord(host.paths.installRecord).catch(() => ({
    files: [],
    dirs: [],
    unitEnabled: false,
  }));
  const desired = INSTALLED_SERVICE;
  let observed: ObservedService;
  try {
    observed = await unitServiceResource.observe({ desired, record, host });
  } catch (error) {
    return [
      {
        id: UNIT_CHECK_ID,
        title: unitCheck(record).title,
        status: "warn",
        detail: `cannot check: ${(error as Error).message.split("\n")[0]}`,
        fix: "check `systemctl is-enabled nat64-relay-agent`",
      },
    ];
  }
  const plan = unitServiceResource.plan(desired, observed, record, host);
  return judgeHealth([{ checks: plan.checks, drifts: plan.changes.map((c) => c.drift) }]);
}
