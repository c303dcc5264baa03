import { mkdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { uninstallCommand } from "../../../src/relay-agent/commands/uninstall.ts";
import { hostPaths, UNIT_NAME } from "../../../src/relay-agent/host/paths.ts";
import { OfflineSystemd } from "../../../src/relay-agent/host/systemd.ts";
import { installAgent, uninstallAgent } from "../../../src/relay-agent/install/install.ts";
import { renderUnit } from "../../../src/relay-agent/install/unit.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import { applyPlan, planDataPlane } from "../../../src/relay-agent/resources/plan.ts";
import { readRecord, writeRecord } from "../../../src/relay-agent/resources/record.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig, tempRoot } from "../nat64/helpers.ts";

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("the systemd unit", () => {
  it("starts after tailscaled and restarts always", () => {
    const unit = renderUnit({
      launcher: ["/usr/bin/node", "/opt/nat64-relay/bin/nat64-relay.js"],
      configPath: "/etc/nat64-relay/relay.yaml",
    });
    expect(unit).toContain("After=network-online.target tailscaled.service");
    expect(unit).toContain("Restart=always");
    expect(unit).toContain(
      "ExecStart=/usr/bin/node /opt/nat64-relay/bin/nat64-relay.js agent run --config /etc/nat64-relay/relay.yaml",
    );
    expect(unit).toContain("WantedBy=multi-user.target");
  });
});

describe("install and uninstall", () => {
  it("installs unit, config and state dirs, and uninstall removes exactly those", async () => {
    const root = await tempRoot();
    // Something of the operator's that must survive.
    await mkdir(join(root, "etc/systemd/system"), { recursive: true });
    await writeFile(join(root, "etc/systemd/system/other.service"), "[Unit]\n");
    const source = join(root, "relay.yaml");
    await writeFile(source, "splitDomains: []\n");
    const paths = hostPaths(root);
    const systemd = new OfflineSystemd(root);
    const report = await installAgent({
      paths,
      systemd,
      sourceConfig: source,
      launcher: ["/usr/bin/node", "/opt/x.js"],
      start: false,
    });
    expect(report.kept).toEqual([]);
    expect(await readFile(join(root, "etc/nat64-relay/relay.yaml"), "utf8")).toBe(
      "splitDomains: []\n",
    );
    expect(await readFile(paths.unitFile, "utf8")).toContain(
      "--config /etc/nat64-relay/relay.yaml",
    );
    expect(
      await readlink(join(root, "etc/systemd/system/multi-user.target.wants", UNIT_NAME)),
    ).toBe(`/etc/systemd/system/${UNIT_NAME}`);
    expect(await systemd.isEnabled(UNIT_NAME)).toBe(true);

    const removed = await uninstallAgent({ paths, systemd });
    expect(removed.failed).toEqual([]);
    expect(await systemd.isEnabled(UNIT_NAME)).toBe(false);
    expect(await exists(paths.unitFile)).toBe(false);
    expect(await exists(paths.etcDir)).toBe(false);
    expect(await exists(paths.stateDir)).toBe(false);
    expect(await exists(join(root, "etc/systemd/system/other.service"))).toBe(true);
    expect(await exists(source)).toBe(true);
  });

  it("keeps a config that is already there and differs", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    await mkdir(paths.etcDir, { recursive: true });
    await writeFile(join(paths.etcDir, "relay.yaml"), "mine: true\n");
    const source = join(root, "new.yaml");
    await writeFile(source, "splitDomains: []\n");
    const report = await installAgent({
      paths,
      systemd: new OfflineSystemd(root),
      sourceConfig: source,
      launcher: ["n", "c"],
      start: false,
    });
    expect(report.kept).toEqual([
      `${join(paths.etcDir, "relay.yaml")} exists and differs from ${source}: kept`,
    ]);
    await uninstallAgent({ paths, systemd: new OfflineSystemd(root) });
    expect(await readFile(join(paths.etcDir, "relay.yaml"), "utf8")).toBe("mine: true\n");
  });
});

describe("agent uninstall", () => {
  async function applyAndInstall(root: string, install: boolean) {
    const paths = hostPaths(root);
    const host = fakeHost();
    const systemd = new OfflineSystemd(root);
    if (install) {
      await installAgent({ paths, systemd, launcher: ["n", "c"], start: false });
    }
    const record = await readRecord(paths.dataPlaneRecord);
    const plan = await planDataPlane(desiredDataPlane(resolvedConfig(), paths), host, record);
    await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
    const quiet = { log: console.log, error: console.error };
    console.log = () => {};
    console.error = () => {};
    try {
      expect(await uninstallCommand({ configPath: "x", paths }, host, systemd)).toBe(0);
    } finally {
      console.log = quiet.log;
      console.error = quiet.error;
    }
    return paths;
  }

  it("keeps a state directory that was there before, empty or not", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    await mkdir(paths.stateDir, { recursive: true });
    await applyAndInstall(root, true);
    expect(await exists(paths.stateDir)).toBe(true);
    expect(await exists(paths.dataPlaneRecord)).toBe(false);
    expect(await exists(paths.taygaConf)).toBe(false);
  });

  it("removes the state directory it created, whether install or the data plane made it", async () => {
    for (const install of [true, false]) {
      const root = await tempRoot();
      const paths = await applyAndInstall(root, install);
      expect(await exists(paths.stateDir)).toBe(false);
      expect(await exists(join(root, "var"))).toBe(false);
      expect(await exists(root)).toBe(true);
    }
  });

  it("leaves a state directory it created when the operator put something in it", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    const host = fakeHost();
    const record = await readRecord(paths.dataPlaneRecord);
    const plan = await planDataPlane(desiredDataPlane(resolvedConfig(), paths), host, record);
    await applyPlan(plan, record, (next) => writeRecord(paths.dataPlaneRecord, next));
    await writeFile(join(paths.stateDir, "notes.txt"), "mine\n");
    const log = console.log;
    console.log = () => {};
    try {
      await uninstallCommand({ configPath: "x", paths }, host, new OfflineSystemd(root));
    } finally {
      console.log = log;
    }
    expect(await readFile(join(paths.stateDir, "notes.txt"), "utf8")).toBe("mine\n");
  });
});
