// The doctor's `unit` line comes from the service's plan toward the installed state: pass when
// the plan is empty, warn without an install here, fail when install ran and the unit is not
// enabled, warn "cannot check" when systemctl cannot tell.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { hostPaths, UNIT_NAME } from "../../../../src/relay-agent/host/paths.ts";
import { unitHealth } from "../../../../src/relay-agent/resources/unit/unit-health.ts";
import { FakeSystemd } from "../../../fakes/fake-systemd.ts";
import { tempRoot } from "../../nat64/helpers.ts";

async function relay(installed: boolean) {
  const paths = hostPaths(await tempRoot());
  const systemd = new FakeSystemd(dirname(paths.unitFile));
  if (installed) {
    await mkdir(paths.stateDir, { recursive: true });
    await writeFile(paths.installRecord, '{"files":[],"dirs":[],"unitEnabled":true}\n');
  }
  return { paths, systemd };
}

const title = `${UNIT_NAME} enabled`;

describe("the doctor's unit check", () => {
  it("passes when the unit is enabled, installed here or not", async () => {
    for (const installed of [true, false]) {
      const host = await relay(installed);
      host.systemd.enabled.add(UNIT_NAME);
      expect(await unitHealth(host)).toEqual([
        { id: "unit", title, status: "pass", detail: "enabled" },
      ]);
    }
  });

  it("warns, with the advice to install, when no `agent install` ran here", async () => {
    expect(await unitHealth(await relay(false))).toEqual([
      {
        id: "unit",
        title,
        status: "warn",
        detail:
          "not installed as a service (no `agent install` here): the agent runs only as long as you run it",
        fix: "run `nat64-relay agent install` to start it at boot",
      },
    ]);
  });

  it("fails when install ran and the unit is not enabled", async () => {
    expect(await unitHealth(await relay(true))).toEqual([
      {
        id: "unit",
        title,
        status: "fail",
        detail: "not enabled",
        cause: "after a reboot nothing starts the agent",
        fix: "run `nat64-relay agent install`",
      },
    ]);
  });

  it("warns that it cannot check when systemctl cannot tell, in one line", async () => {
    const host = await relay(true);
    host.systemd.unusable = true;
    expect(await unitHealth(host)).toEqual([
      {
        id: "unit",
        title,
        status: "warn",
        detail:
          "cannot check: System has not been booted with systemd as init system (PID 1). Can't operate.",
        fix: "check `systemctl is-enabled nat64-relay-agent`",
      },
    ]);
  });

  it("asks only: the doctor's plan is never applied", async () => {
    const host = await relay(true);
    await unitHealth(host);
    expect(host.systemd.calls).toEqual([`is-enabled ${UNIT_NAME}`]);
  });
});
