// `agent uninstall` keeps what the operator made theirs, as apt keeps conffiles: a config file
// edited since install wrote it, and the generated NAT64 prefix; `--purge` removes those too.
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type UninstallOptions,
  uninstallCommand,
} from "../../../src/relay-agent/commands/uninstall.ts";
import { type HostPaths, hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { OfflineSystemd } from "../../../src/relay-agent/host/systemd.ts";
import { installAgent } from "../../../src/relay-agent/install/install.ts";
import { loadOrCreatePrefix } from "../../../src/relay-agent/state/prefix-store.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { tempRoot } from "../nat64/helpers.ts";

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

const TOKEN = `n64r_${"a".repeat(16)}_${"b".repeat(43)}`;

async function installed(root: string): Promise<HostPaths> {
  const paths = hostPaths(root);
  const source = join(root, "relay.yaml");
  await writeFile(source, "splitDomains: []\n");
  await installAgent({
    paths,
    systemd: new OfflineSystemd(root),
    sourceConfig: source,
    managed: { apiUrl: "https://relay-api.example.com", token: TOKEN },
    launcher: ["/usr/bin/node", "/opt/x.js"],
    start: false,
  });
  return paths;
}

/** Runs `agent uninstall` and returns its exit code and what it printed. */
async function uninstall(
  options: Omit<UninstallOptions, "configPath">,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { log: console.log, error: console.error };
  console.log = (line: string) => out.push(line);
  console.error = (line: string) => err.push(line);
  try {
    const code = await uninstallCommand(
      { configPath: "unused", ...options },
      fakeHost(),
      new OfflineSystemd(options.paths.root),
    );
    return { code, out, err };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
  }
}

describe("agent uninstall keeps the operator's files", () => {
  it("keeps a config file edited since install, removes the unedited ones, and says why and how to remove it", async () => {
    const root = await tempRoot();
    const paths = await installed(root);
    const config = join(paths.etcDir, "relay.yaml");
    const token = join(paths.etcDir, "agent-token");
    await writeFile(config, "splitDomains: []\n# my own notes\n");

    const result = await uninstall({ paths });
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect(await readFile(config, "utf8")).toBe("splitDomains: []\n# my own notes\n");
    expect(await exists(token)).toBe(false);
    expect(await exists(paths.unitFile)).toBe(false);
    expect(result.out.filter((line) => !line.startsWith("✔"))).toEqual([
      `• kept ${config}: edited since install wrote it`,
      `• kept ${paths.installRecord}: what was kept, for \`--purge\``,
      `To remove what was kept as well: nat64-relay agent uninstall --purge --root ${root}`,
    ]);
    expect(result.out).toContain(`✔ removed ${token}`);
  });

  it("removes the kept file on a later uninstall --purge, and with it the directories", async () => {
    const root = await tempRoot();
    const paths = await installed(root);
    const config = join(paths.etcDir, "relay.yaml");
    await writeFile(config, "edited: true\n");
    await uninstall({ paths });
    expect(await exists(config)).toBe(true);

    const again = await uninstall({ paths });
    expect(again.out[0]).toBe(`• kept ${config}: edited since install wrote it`);
    expect(await exists(config)).toBe(true);

    const purged = await uninstall({ paths, purge: true });
    expect(purged.code).toBe(0);
    expect(purged.out).toContain(`✔ removed ${config}`);
    expect(purged.out.filter((line) => !line.startsWith("✔"))).toEqual([]);
    expect(await exists(paths.etcDir)).toBe(false);
    expect(await exists(paths.stateDir)).toBe(false);
  });

  it("with --purge removes an edited config right away", async () => {
    const root = await tempRoot();
    const paths = await installed(root);
    await writeFile(join(paths.etcDir, "relay.yaml"), "edited: true\n");
    const result = await uninstall({ paths, purge: true });
    expect(result.code).toBe(0);
    expect(await exists(paths.etcDir)).toBe(false);
    expect(await exists(paths.stateDir)).toBe(false);
  });

  it("keeps the generated prefix, so a reinstall answers in the approved route; --purge removes it", async () => {
    const root = await tempRoot();
    const paths = await installed(root);
    const { prefix } = await loadOrCreatePrefix(paths.stateDir);
    const prefixFile = join(paths.stateDir, "prefix");

    const result = await uninstall({ paths });
    expect(result.code).toBe(0);
    expect(result.out.filter((line) => !line.startsWith("✔"))).toEqual([
      `• kept ${prefixFile}: the generated NAT64 prefix ${prefix}: a reinstall reuses it, so the subnet route approved for it still matches`,
      `• kept ${paths.installRecord}: what was kept, for \`--purge\``,
      `To remove what was kept as well: nat64-relay agent uninstall --purge --root ${root}`,
    ]);
    expect(await exists(paths.etcDir)).toBe(false);

    await installed(root);
    expect((await loadOrCreatePrefix(paths.stateDir)).prefix).toBe(prefix);

    const purged = await uninstall({ paths, purge: true });
    expect(purged.out.filter((line) => !line.startsWith("✔"))).toEqual([]);
    expect(await exists(prefixFile)).toBe(false);
    expect(await exists(paths.stateDir)).toBe(false);
  });

  it("names --state-dir in the purge command when the state lives elsewhere", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root, join(root, "state"));
    await loadOrCreatePrefix(paths.stateDir);
    const result = await uninstall({ paths });
    expect(result.out.at(-1)).toBe(
      `To remove what was kept as well: nat64-relay agent uninstall --purge --root ${root} --state-dir ${join(root, "state")}`,
    );
  });
});

describe("agent install --state-dir", () => {
  it("starts the service with the same state directory", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root, join(root, "srv/relay-state"));
    await installAgent({
      paths,
      systemd: new OfflineSystemd(root),
      launcher: ["/usr/bin/node", "/opt/x.js"],
      start: false,
    });
    expect((await readFile(paths.unitFile, "utf8")).split("\n")).toContain(
      "ExecStart=/usr/bin/node /opt/x.js agent run --config /etc/nat64-relay/relay.yaml --state-dir /srv/relay-state",
    );
    expect(await exists(join(root, "srv/relay-state/install.json"))).toBe(true);
  });
});

describe("agent install respects the operator's edits", () => {
  it("does not overwrite a unit file edited since install wrote it", async () => {
    const root = await tempRoot();
    const paths = await installed(root);
    const edited = `${await readFile(paths.unitFile, "utf8")}# LimitNOFILE tuned by hand\n`;
    await writeFile(paths.unitFile, edited);
    const report = await installAgent({
      paths,
      systemd: new OfflineSystemd(root),
      launcher: ["/usr/local/bin/node", "/opt/y.js"],
      start: false,
    });
    expect(report.kept).toEqual([`${paths.unitFile} was edited since install wrote it: kept`]);
    expect(await readFile(paths.unitFile, "utf8")).toBe(edited);
  });

  it("replaces a config it installed and nobody edited when given a new one", async () => {
    const root = await tempRoot();
    const paths = await installed(root);
    const source = join(root, "relay.yaml");
    await writeFile(source, "splitDomains: []\nlisten: ['127.0.0.1:53']\n");
    const report = await installAgent({
      paths,
      systemd: new OfflineSystemd(root),
      sourceConfig: source,
      launcher: ["/usr/bin/node", "/opt/x.js"],
      start: false,
    });
    expect(report.kept).toEqual([]);
    expect(await readFile(join(paths.etcDir, "relay.yaml"), "utf8")).toBe(
      "splitDomains: []\nlisten: ['127.0.0.1:53']\n",
    );
  });
});
