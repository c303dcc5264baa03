// `agent install` and `agent uninstall` report a failed step in one line and exit 1; running
// install twice changes nothing the second time.
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { installCommand } from "../../../src/relay-agent/commands/install.ts";
import { uninstallCommand } from "../../../src/relay-agent/commands/uninstall.ts";
import { hostPaths, UNIT_NAME } from "../../../src/relay-agent/host/paths.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { FakeSystemd } from "../../fakes/fake-systemd.ts";
import { tempRoot } from "../nat64/helpers.ts";

async function captured(run: () => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  console.log = (line: string) => out.push(line);
  console.warn = (line: string) => out.push(line);
  console.error = (line: string) => err.push(line);
  try {
    return { code: await run(), out, err };
  } finally {
    Object.assign(console, saved);
  }
}

async function here() {
  const root = await tempRoot();
  const paths = hostPaths(root);
  const config = join(root, "relay.yaml");
  await writeFile(config, "splitDomains: []\n");
  const systemd = new FakeSystemd(dirname(paths.unitFile));
  const install = () =>
    installCommand({ configPath: config, paths }, { start: false, configGiven: true }, systemd);
  return { paths, systemd, install };
}

describe("agent install on the command line", () => {
  it("a second install changes nothing and says so", async () => {
    const { install } = await here();
    expect((await captured(install)).code).toBe(0);
    const second = await captured(install);
    expect(second).toEqual({
      code: 0,
      out: ["already installed as asked: nothing to change."],
      err: [],
    });
  });

  it("a failing systemctl enable: what was done, then one line naming the step, exit 1", async () => {
    const { install, systemd, paths } = await here();
    systemd.failNext.set("enable", "Access denied");
    const result = await captured(install);
    expect(result.code).toBe(1);
    expect(result.out.slice(-2)).toEqual([
      `✔ wrote ${paths.unitFile}`,
      "✔ reloaded systemd's unit files",
    ]);
    expect(result.err).toEqual([
      `install failed: [systemd] enable ${UNIT_NAME} failed: systemctl enable ${UNIT_NAME} failed: Access denied; run it again once that is fixed`,
    ]);
    const again = await captured(install);
    expect(again.code).toBe(0);
    expect(again.out).toEqual([
      `✔ enabled ${UNIT_NAME}`,
      "installed; `nat64-relay agent uninstall` removes it again.",
    ]);
  });

  it("a config that cannot be read: one line, exit 1, nothing written", async () => {
    const { paths, systemd } = await here();
    const missing = join(paths.root, "nope.yaml");
    const result = await captured(() =>
      installCommand({ configPath: missing, paths }, { start: false, configGiven: true }, systemd),
    );
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      `install failed: cannot read the config to install, ${missing}: ENOENT: no such file or directory, open '${missing}'; pass --config FILE`,
    ]);
    expect(systemd.calls).toEqual([]);
  });
});

describe("agent uninstall on the command line", () => {
  it("a failing systemctl disable: one line, exit 1, and the next uninstall finishes", async () => {
    const { install, systemd, paths } = await here();
    await captured(install);
    systemd.failNext.set("disable", "Transaction is destructive");
    const uninstall = () => uninstallCommand({ configPath: "unused", paths }, fakeHost(), systemd);
    const failed = await captured(uninstall);
    expect(failed.code).toBe(1);
    expect(failed.err).toEqual([
      `✘ [systemd] stop and disable ${UNIT_NAME} failed: systemctl disable --now ${UNIT_NAME} failed: Transaction is destructive`,
    ]);
    expect([...systemd.enabled]).toEqual([UNIT_NAME]);
    const again = await captured(uninstall);
    expect(again.code).toBe(0);
    expect(again.out[0]).toBe(`✔ stopped and disabled ${UNIT_NAME}`);
    expect([...systemd.enabled]).toEqual([]);
  });
});
