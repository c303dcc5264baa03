// The install's plan: from nothing, from an install, from files the operator edited, toward the
// empty install with and without --purge; a second plan is empty; a failure at any step leaves
// install.json saying exactly what was done, and the next apply finishes the job.
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostPaths, UNIT_NAME } from "../../../../src/relay-agent/host/paths.ts";
import {
  desiredInstall,
  type InstallOptions,
} from "../../../../src/relay-agent/install/install.ts";
import {
  type DesiredInstall,
  emptyInstall,
} from "../../../../src/relay-agent/resources/unit/desired-install.ts";
import type { InstallHost } from "../../../../src/relay-agent/resources/unit/install-family.ts";
import {
  applyInstallPlan,
  type InstallPlan,
  planInstall,
} from "../../../../src/relay-agent/resources/unit/install-plan.ts";
import {
  readInstallRecord,
  saveInstallRecord,
} from "../../../../src/relay-agent/resources/unit/install-record.ts";
import { FakeSystemd } from "../../../fakes/fake-systemd.ts";
import { tempRoot } from "../../nat64/helpers.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function installHere(start = true) {
  const root = await tempRoot();
  const paths = hostPaths(root);
  const systemd = new FakeSystemd(dirname(paths.unitFile));
  const source = join(root, "source.yaml");
  await writeFile(source, "splitDomains: []\n");
  const options: InstallOptions = {
    paths,
    systemd,
    sourceConfig: source,
    launcher: ["/usr/bin/node", "/opt/x.js"],
    start,
  };
  const host: InstallHost = { paths, systemd };
  const config = join(paths.etcDir, "relay.yaml");
  return { root, paths, systemd, source, options, host, config };
}

type Here = Awaited<ReturnType<typeof installHere>>;

const save = (here: Here) => (record: Parameters<typeof saveInstallRecord>[1]) =>
  saveInstallRecord(here.paths.installRecord, record);

async function plan(here: Here, desired: DesiredInstall): Promise<InstallPlan> {
  return planInstall(desired, here.host, await readInstallRecord(here.paths.installRecord));
}

/** Plans toward `desired` from install.json and applies it, as install and uninstall do. */
async function attempt(here: Here, desired: DesiredInstall) {
  const record = await readInstallRecord(here.paths.installRecord);
  const planned = await planInstall(desired, here.host, record);
  return { planned, applied: await applyInstallPlan(planned, record, save(here)) };
}

/** The same; throws if a step failed. */
async function apply(here: Here, desired: DesiredInstall) {
  const result = await attempt(here, desired);
  if (result.applied.failure) throw result.applied.failure;
  return result;
}

const steps = (planned: InstallPlan) =>
  planned.changes.map((change) => [change.area, change.summary, change.effects, change.undo]);

/** What a finished install leaves in install.json. */
function installedRecord(here: Here, unitText: string) {
  const { root, paths, config } = here;
  return {
    files: [config, paths.unitFile],
    hashes: { [config]: sha256("splitDomains: []\n"), [paths.unitFile]: sha256(unitText) },
    dirs: [
      `${root}/var`,
      `${root}/var/lib`,
      `${root}/var/lib/nat64-relay`,
      `${root}/etc`,
      `${root}/etc/nat64-relay`,
      `${root}/etc/systemd`,
      `${root}/etc/systemd/system`,
    ],
    unitEnabled: true,
  };
}

describe("the install's plan toward the installed state", () => {
  it("from nothing: directories, the config, the unit, a reload, enable and start, in that order", async () => {
    const here = await installHere();
    const { root, paths, config } = here;
    const planned = await plan(here, await desiredInstall(here.options));
    expect(steps(planned)).toEqual([
      ["file", `create ${root}/var, ${root}/var/lib, ${root}/var/lib/nat64-relay`, [], false],
      ["file", `create ${root}/etc, ${root}/etc/nat64-relay`, [], false],
      ["file", `create ${root}/etc/systemd, ${root}/etc/systemd/system`, [], false],
      ["file", `write ${config}`, [], false],
      ["file", `write ${paths.unitFile}`, ["unit-file-changed"], false],
      ["systemd", "reload systemd's unit files", ["daemon-reloaded"], false],
      ["systemd", `enable ${UNIT_NAME} and start it`, ["unit-enabled", "unit-started"], false],
    ]);
    expect([...planned.effects]).toEqual([
      "unit-file-changed",
      "daemon-reloaded",
      "unit-enabled",
      "unit-started",
    ]);
    const applied = await applyInstallPlan(planned, undefined, save(here));
    expect(applied.failure).toBeUndefined();
    const unitText = await readFile(paths.unitFile, "utf8");
    expect(await readInstallRecord(paths.installRecord)).toEqual(installedRecord(here, unitText));
    expect([...here.systemd.enabled, ...here.systemd.active]).toEqual([UNIT_NAME, UNIT_NAME]);
    expect(await readFile(config, "utf8")).toBe("splitDomains: []\n");
  });

  it("a second install plans nothing and calls no systemctl that changes anything", async () => {
    const here = await installHere();
    await apply(here, await desiredInstall(here.options));
    here.systemd.calls.length = 0;
    const second = await plan(here, await desiredInstall(here.options));
    expect(second.changes).toEqual([]);
    expect(second.warnings).toEqual([]);
    // Only questions (the two resources observe at once, so in no fixed order).
    expect(here.systemd.calls.sort()).toEqual([
      `is-active ${UNIT_NAME}`,
      `is-enabled ${UNIT_NAME}`,
      `show --property=NeedDaemonReload ${UNIT_NAME}`,
    ]);
  });

  it("from an install: a new launcher rewrites the unit and reloads, and says a running agent needs a restart; a stopped unit is started", async () => {
    const here = await installHere();
    await apply(here, await desiredInstall(here.options));
    const moved = await plan(
      here,
      await desiredInstall({ ...here.options, launcher: ["/usr/local/bin/node", "/opt/y.js"] }),
    );
    expect(steps(moved)).toEqual([
      ["file", `write ${here.paths.unitFile}`, ["unit-file-changed"], false],
      ["systemd", "reload systemd's unit files", ["daemon-reloaded"], false],
    ]);
    // The running agent keeps its old command line until it restarts: install says so.
    expect(moved.warnings).toEqual([
      `${UNIT_NAME} is running as its previous unit file said: \`systemctl restart ${UNIT_NAME}\` runs it as the new one says`,
    ]);
    here.systemd.active.clear();
    const stopped = await plan(
      here,
      await desiredInstall({ ...here.options, launcher: ["/usr/local/bin/node", "/opt/y.js"] }),
    );
    expect(steps(stopped)).toEqual([
      ["file", `write ${here.paths.unitFile}`, ["unit-file-changed"], false],
      ["systemd", "reload systemd's unit files", ["daemon-reloaded"], false],
      ["systemd", `start ${UNIT_NAME}`, ["unit-started"], false],
    ]);
    expect(stopped.warnings).toEqual([]);
  });

  it("does not enable (or later disable) a unit that was enabled before install", async () => {
    const here = await installHere(false);
    await writeFile(here.source, "splitDomains: []\n");
    here.systemd.enabled.add(UNIT_NAME);
    const { planned } = await apply(here, await desiredInstall(here.options));
    expect(planned.changes.map((change) => change.summary)).not.toContain(`enable ${UNIT_NAME}`);
    expect((await readInstallRecord(here.paths.installRecord))?.unitEnabled).toBe(false);
    const { planned: removal } = await apply(here, emptyInstall(false));
    expect(removal.changes.map((change) => change.resource)).not.toContain("unit-service");
    expect([...here.systemd.enabled]).toEqual([UNIT_NAME]);
  });

  it("keeps files the operator edited or wrote, and says so; nothing else changes", async () => {
    const here = await installHere();
    await apply(here, await desiredInstall(here.options));
    await writeFile(here.config, "splitDomains: []\n# mine\n");
    await writeFile(here.source, "splitDomains: []\nlisten: ['127.0.0.1:53']\n");
    const replanned = await plan(here, await desiredInstall(here.options));
    expect(replanned.changes).toEqual([]);
    expect(replanned.warnings).toEqual([`${here.config} was edited since install wrote it: kept`]);
  });
});

describe("the install's plan toward the empty state (uninstall)", () => {
  it("from an install: stop and disable first, then the files, a reload, the record, the directories", async () => {
    const here = await installHere();
    const { root, paths, config } = here;
    await apply(here, await desiredInstall(here.options));
    const removal = await plan(here, emptyInstall(false));
    expect(steps(removal)).toEqual([
      ["systemd", `stop and disable ${UNIT_NAME}`, ["unit-disabled"], true],
      ["file", `remove ${config}`, [], true],
      ["file", `remove ${paths.unitFile}`, ["unit-file-changed"], true],
      ["systemd", "reload systemd's unit files", ["daemon-reloaded"], true],
      ["file", `remove ${root}/etc/systemd/system`, [], true],
      ["file", `remove ${root}/etc/nat64-relay`, [], true],
      ["file", `remove ${root}/etc/systemd`, [], true],
      ["file", `remove ${root}/etc`, [], true],
      // install.json lives in the state directory: they go together, last.
      [
        "file",
        `remove ${paths.installRecord} and ${root}/var/lib/nat64-relay, ${root}/var/lib, ${root}/var`,
        [],
        true,
      ],
    ]);
    expect(removal.kept).toEqual([]);
    const applied = await applyInstallPlan(
      removal,
      await readInstallRecord(paths.installRecord),
      save(here),
    );
    expect(applied).toMatchObject({ record: undefined });
    expect(applied.failure).toBeUndefined();
    expect(await readdir(root)).toEqual(["source.yaml"]);
    expect([...here.systemd.enabled, ...here.systemd.active]).toEqual([]);
    const again = await plan(here, emptyInstall(false));
    expect([again.changes, again.kept]).toEqual([[], []]);
  });

  it("keeps a file the operator edited, with the record and its directories; a second uninstall plans nothing", async () => {
    const here = await installHere();
    const { root, paths, config } = here;
    await apply(here, await desiredInstall(here.options));
    const installed = await readInstallRecord(paths.installRecord);
    await writeFile(config, "splitDomains: []\n# mine\n");
    const { planned, applied } = await apply(here, emptyInstall(false));
    expect(steps(planned)).toEqual([
      ["systemd", `stop and disable ${UNIT_NAME}`, ["unit-disabled"], true],
      ["file", `remove ${paths.unitFile}`, ["unit-file-changed"], true],
      ["systemd", "reload systemd's unit files", ["daemon-reloaded"], true],
    ]);
    const kept = [
      { path: config, hash: sha256("splitDomains: []\n"), reason: "edited since install wrote it" },
    ];
    expect(planned.kept).toEqual(kept);
    expect(await readFile(config, "utf8")).toBe("splitDomains: []\n# mine\n");
    const left = {
      files: [config],
      hashes: { [config]: sha256("splitDomains: []\n") },
      dirs: installed?.dirs,
      unitEnabled: false,
    };
    expect(applied.record).toEqual(left);
    expect(await readInstallRecord(paths.installRecord)).toEqual(left);
    const again = await plan(here, emptyInstall(false));
    expect([again.changes, again.kept]).toEqual([[], kept]);
    expect(await readdir(join(root, "etc/nat64-relay"))).toEqual(["relay.yaml"]);
  });

  it("--purge removes the edited file too, and then everything install created", async () => {
    const here = await installHere();
    const { root, config } = here;
    await apply(here, await desiredInstall(here.options));
    await writeFile(config, "splitDomains: []\n# mine\n");
    await apply(here, emptyInstall(false));
    const purge = await plan(here, emptyInstall(true));
    expect(purge.kept).toEqual([]);
    // The first uninstall kept every directory with the edited file; they go now.
    expect(steps(purge)).toEqual([
      ["file", `remove ${config}`, [], true],
      ["file", `remove ${root}/etc/systemd/system`, [], true],
      ["file", `remove ${root}/etc/nat64-relay`, [], true],
      ["file", `remove ${root}/etc/systemd`, [], true],
      ["file", `remove ${root}/etc`, [], true],
      [
        "file",
        `remove ${here.paths.installRecord} and ${root}/var/lib/nat64-relay, ${root}/var/lib, ${root}/var`,
        [],
        true,
      ],
    ]);
    await apply(here, emptyInstall(true));
    expect(await readdir(root)).toEqual(["source.yaml"]);
    expect((await plan(here, emptyInstall(true))).changes).toEqual([]);
  });

  it("leaves a directory that holds something else, and forgets it", async () => {
    const here = await installHere();
    await apply(here, await desiredInstall(here.options));
    await writeFile(join(here.paths.etcDir, "notes.txt"), "mine\n");
    const { planned } = await apply(here, emptyInstall(false));
    const etcDirs = ["etc", "etc/nat64-relay", "etc/systemd", "etc/systemd/system"].map(
      (dir) => `remove ${here.root}/${dir}`,
    );
    const removedDirs = planned.changes
      .map((change) => change.summary)
      .filter((summary) => etcDirs.includes(summary));
    expect(removedDirs).toEqual([
      `remove ${here.root}/etc/systemd/system`,
      `remove ${here.root}/etc/systemd`,
    ]);
    expect(await readdir(here.paths.etcDir)).toEqual(["notes.txt"]);
    expect(await readInstallRecord(here.paths.installRecord)).toBeUndefined();
    expect((await plan(here, emptyInstall(false))).changes).toEqual([]);
  });
});

describe("a failure at any step", () => {
  async function failAt(
    index: number,
    desiredOf: (here: Here) => Promise<DesiredInstall>,
    setup?: (here: Here) => Promise<void>,
  ) {
    const here = await installHere();
    await setup?.(here);
    const desired = await desiredOf(here);
    const record = await readInstallRecord(here.paths.installRecord);
    const planned = await planInstall(desired, here.host, record);
    const broken = {
      ...planned,
      changes: planned.changes.map((change, at) =>
        at === index
          ? {
              ...change,
              run: async () => {
                throw new Error("injected failure\n    at somewhere (stack.ts:1:1)");
              },
            }
          : change,
      ),
    };
    const applied = await applyInstallPlan(broken, record, save(here));
    return { here, desired, planned, applied };
  }

  it("install: says which step in one line, records what was done, and the next install finishes", async () => {
    const reference = await installHere();
    const count = (await plan(reference, await desiredInstall(reference.options))).changes.length;
    expect(count).toBe(7);
    for (let index = 0; index < count; index += 1) {
      const { here, desired, planned, applied } = await failAt(index, (h) =>
        desiredInstall(h.options),
      );
      const step = planned.changes[index];
      expect(applied.failure?.message).toBe(
        `[${step?.area}] ${step?.summary} failed: injected failure`,
      );
      expect(applied.failure?.code).toBe("host_failed");
      expect(applied.done).toEqual(planned.changes.slice(0, index));
      expect(await readInstallRecord(here.paths.installRecord)).toEqual(applied.record);
      await apply(here, desired);
      const unitText = await readFile(here.paths.unitFile, "utf8");
      expect(await readInstallRecord(here.paths.installRecord)).toEqual(
        installedRecord(here, unitText),
      );
      expect((await plan(here, desired)).changes).toEqual([]);
    }
  });

  it("uninstall: the same, and the next uninstall leaves nothing", async () => {
    const installed = async (here: Here) => {
      await apply(here, await desiredInstall(here.options));
    };
    const reference = await installHere();
    await installed(reference);
    const count = (await plan(reference, emptyInstall(false))).changes.length;
    expect(count).toBe(9);
    for (let index = 0; index < count; index += 1) {
      const { here, applied, planned } = await failAt(
        index,
        async () => emptyInstall(false),
        installed,
      );
      expect(applied.failure?.message).toMatch(/^\[(file|systemd)\] .* failed: injected failure$/);
      expect(applied.done).toEqual(planned.changes.slice(0, index));
      expect(await readInstallRecord(here.paths.installRecord)).toEqual(applied.record);
      await apply(here, emptyInstall(false));
      expect(await readdir(here.root)).toEqual(["source.yaml"]);
      expect([...here.systemd.enabled]).toEqual([]);
      expect((await plan(here, emptyInstall(false))).changes).toEqual([]);
    }
  });

  it("systemctl enable failing: the unit is written and reloaded, not recorded as enabled", async () => {
    const here = await installHere();
    here.systemd.failNext.set("enable", "Access denied");
    const desired = await desiredInstall(here.options);
    const { applied } = await attempt(here, desired);
    expect(applied.failure?.message).toBe(
      `[systemd] enable ${UNIT_NAME} and start it failed: systemctl enable --now ${UNIT_NAME} failed: Access denied`,
    );
    expect((await readInstallRecord(here.paths.installRecord))?.unitEnabled).toBe(false);
    expect(steps(await plan(here, desired))).toEqual([
      ["systemd", `enable ${UNIT_NAME} and start it`, ["unit-enabled", "unit-started"], false],
    ]);
  });

  it("a reload that failed is planned again, because systemd still has the old unit file", async () => {
    const here = await installHere();
    here.systemd.failNext.set("daemonReload", "Connection timed out");
    const desired = await desiredInstall(here.options);
    const { applied } = await attempt(here, desired);
    expect(applied.failure?.message).toBe(
      "[systemd] reload systemd's unit files failed: systemctl daemon-reload failed: Connection timed out",
    );
    expect(steps(await plan(here, desired))).toEqual([
      ["systemd", "reload systemd's unit files", ["daemon-reloaded"], false],
      ["systemd", `enable ${UNIT_NAME} and start it`, ["unit-enabled", "unit-started"], false],
    ]);
  });
});
