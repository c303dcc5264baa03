// `agent install --api URL --token-file F`: the token (0600) and a local file naming the API,
// recorded so uninstall removes exactly those; an operator's token file is kept.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { OfflineSystemd } from "../../../src/relay-agent/host/systemd.ts";
import { installAgent, uninstallAgent } from "../../../src/relay-agent/install/install.ts";
import { parseManagedLocalText } from "../../../src/relay-agent/managed/local-file.ts";
import { tempRoot } from "../nat64/helpers.ts";

const TOKEN = `n64r_${"a".repeat(16)}_${"b".repeat(43)}`;
const API = "https://relay-api.example.com";

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("install in managed mode", () => {
  it("writes the agent token (0600) and a local file naming the API; uninstall removes both", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    const systemd = new OfflineSystemd(root);
    const report = await installAgent({
      paths,
      systemd,
      launcher: ["/usr/bin/node", "/opt/x.js"],
      start: false,
      managed: { apiUrl: API, token: TOKEN },
    });
    expect(report.kept).toEqual([]);
    const tokenPath = join(paths.etcDir, "agent-token");
    expect(await readFile(tokenPath, "utf8")).toBe(`${TOKEN}\n`);
    expect((await stat(tokenPath)).mode & 0o777).toBe(0o600);
    const local = await readFile(join(paths.etcDir, "relay.yaml"), "utf8");
    expect(parseManagedLocalText(local)).toEqual({
      ok: true,
      file: { api: API, tokenFile: "/etc/nat64-relay/agent-token" },
    });
    expect(await readFile(paths.unitFile, "utf8")).toContain(
      "agent run --config /etc/nat64-relay/relay.yaml",
    );

    const removed = await uninstallAgent({ paths, systemd });
    expect(removed.failed).toEqual([]);
    expect(await exists(tokenPath)).toBe(false);
    expect(await exists(paths.etcDir)).toBe(false);
  });

  it("keeps a token file the operator put there, and replaces one it wrote itself", async () => {
    const root = await tempRoot();
    const paths = hostPaths(root);
    const systemd = new OfflineSystemd(root);
    await mkdir(paths.etcDir, { recursive: true });
    const tokenPath = join(paths.etcDir, "agent-token");
    await writeFile(tokenPath, "operator's\n", { mode: 0o600 });
    const options = {
      paths,
      systemd,
      launcher: ["/usr/bin/node", "/opt/x.js"],
      start: false,
      managed: { apiUrl: API, token: TOKEN },
    };
    const first = await installAgent(options);
    expect(first.kept).toEqual([`${tokenPath} exists and was not written by install: kept`]);
    expect(await readFile(tokenPath, "utf8")).toBe("operator's\n");
    await uninstallAgent({ paths, systemd });
    expect(await readFile(tokenPath, "utf8")).toBe("operator's\n");

    const other = join(root, "fresh");
    const freshPaths = hostPaths(other);
    await installAgent({ ...options, paths: freshPaths });
    const second = `n64r_${"c".repeat(16)}_${"d".repeat(43)}`;
    await installAgent({ ...options, paths: freshPaths, managed: { apiUrl: API, token: second } });
    expect(await readFile(join(freshPaths.etcDir, "agent-token"), "utf8")).toBe(`${second}\n`);
  });
});
