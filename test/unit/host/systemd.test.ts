// RealSystemd reads systemctl's exit status: "not enabled" and "not running" are answers,
// a systemctl that is missing or cannot reach systemd is an error ("cannot check").
import { describe, expect, it } from "vitest";
import type { Exec } from "../../../src/relay-agent/host/exec.ts";
import { RealSystemd } from "../../../src/relay-agent/host/systemd.ts";

/** An exec whose `sh -c 'systemctl …; echo status=$?'` ends with the given status. */
function execWithStatus(status: number, calls: string[][] = []): Exec {
  return async (command, args) => {
    calls.push([command, ...args]);
    return { stdout: `status=${status}\n`, stderr: "" };
  };
}

describe("RealSystemd", () => {
  it("is-enabled: status 0 is enabled, 1 is not, anything else cannot tell", async () => {
    const calls: string[][] = [];
    expect(await new RealSystemd(execWithStatus(0, calls)).isEnabled("x.service")).toBe(true);
    expect(calls).toEqual([
      [
        "sh",
        "-c",
        'systemctl "$1" --quiet "$2"; echo "status=$?"',
        "sh",
        "is-enabled",
        "x.service",
      ],
    ]);
    expect(await new RealSystemd(execWithStatus(1)).isEnabled("x.service")).toBe(false);
    await expect(new RealSystemd(execWithStatus(127)).isEnabled("x.service")).rejects.toThrow(
      "systemctl is-enabled x.service exited with status 127",
    );
  });

  it("is-active: status 0 is running, 3 is not, 1 (no systemd running) cannot tell", async () => {
    expect(await new RealSystemd(execWithStatus(0)).isActive("x.service")).toBe(true);
    expect(await new RealSystemd(execWithStatus(3)).isActive("x.service")).toBe(false);
    await expect(new RealSystemd(execWithStatus(1)).isActive("x.service")).rejects.toThrow(
      "systemctl is-active x.service exited with status 1 (is systemd running here?)",
    );
  });

  it("needs a reload when systemd says NeedDaemonReload=yes", async () => {
    const answer =
      (value: string): Exec =>
      async () => ({ stdout: `${value}\n`, stderr: "" });
    expect(await new RealSystemd(answer("yes")).needsReload("x.service")).toBe(true);
    expect(await new RealSystemd(answer("no")).needsReload("x.service")).toBe(false);
  });
});
