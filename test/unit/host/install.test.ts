import { mkdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostPaths, UNIT_NAME } from "../../../src/relay-agent/host/paths.ts";
import { OfflineSystemd } from "../../../src/relay-agent/host/systemd.ts";
import { installAgent, uninstallAgent } from "../../../src/relay-agent/install/install.ts";
import { renderUnit } from "../../../src/relay-agent/install/unit.ts";
import { tempRoot } from "../nat64/helpers.ts";

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("the systemd unit", () => {
  it("starts after tailscaled and restarts always", () => {
    const unit = renderUnit({
      nodeBinary: "/usr/bin/node",
      cliScript: "/opt/nat64-relay/bin/nat64-relay.js",
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
      nodeBinary: "/usr/bin/node",
      cliScript: "/opt/x.js",
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
      nodeBinary: "n",
      cliScript: "c",
      start: false,
    });
    expect(report.kept).toEqual([
      `${join(paths.etcDir, "relay.yaml")} exists and differs from ${source}: kept`,
    ]);
    await uninstallAgent({ paths, systemd: new OfflineSystemd(root) });
    expect(await readFile(join(paths.etcDir, "relay.yaml"), "utf8")).toBe("mine: true\n");
  });
});
