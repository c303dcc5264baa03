// A DNS-only `agent run` (engine: none) by a user who may not write /var/lib: no flags needed,
// the generated prefix goes to the user's XDG state directory. Runs the real CLI as uid 65534
// (nobody), which needs root to switch to (CI runs as root).
import { spawn } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkNat64Prefix } from "../../../src/core/index.ts";
import { eventually } from "../dns/agent-process.ts";
import { udpQuery } from "../dns/dns-client.ts";
import { rcodeOf } from "../dns/lab.ts";
import { freePort, stopChild, watchChild } from "../dns/nsd-upstream.ts";

const BIN = fileURLToPath(new URL("../../../bin/nat64-relay.js", import.meta.url));
const NOBODY = 65534;
const asRoot = process.geteuid?.() === 0;

/** `agent run --config FILE` as nobody, with only PATH and HOME in its environment. */
function runAsNobody(config: string, home: string) {
  const setpriv = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];
  return spawn("setpriv", [...setpriv, process.execPath, BIN, "agent", "run", "--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "n64nonroot-"));
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.runIf(asRoot)("agent run as a user who cannot write /var/lib", () => {
  it("keeps its generated prefix under ~/.local/state/nat64-relay and answers", async () => {
    const home = join(dir, "home");
    await mkdir(home);
    await chown(home, NOBODY, NOBODY);
    const port = await freePort("127.0.0.1");
    const config = join(dir, "relay.yaml");
    await writeFile(
      config,
      `engine: none\nlisten: ["127.0.0.1:${port}"]\nupstreams: ["127.0.0.1:1"]\nsplitDomains:\n  - { name: r9929, realSuffix: tail1234.ts.net }\n`,
    );
    const child = runAsNobody(config, home);
    const watched = watchChild(child);
    try {
      // The split apex answers SOA by itself: no upstream needed.
      const answer = await eventually(() =>
        udpQuery("127.0.0.1", port, { name: "r9929", type: "SOA" }, 300),
      );
      expect(rcodeOf(answer.raw)).toBe(0);
      expect(answer.packet.answers?.map((record) => record.type)).toEqual(["SOA"]);
      const prefix = (await readFile(join(home, ".local/state/nat64-relay/prefix"), "utf8")).trim();
      expect(checkNat64Prefix(prefix, "tayga").ok).toBe(true);
      expect(watched.output()).not.toMatch(/EACCES|"level":50/);
    } finally {
      await stopChild(child);
    }
  });

  it("says in one line what to do when even that directory cannot be written", async () => {
    const config = join(dir, "relay.yaml");
    // A HOME nobody may write: the fallback cannot be created either.
    const child = runAsNobody(config, "/nonexistent-home");
    const watched = watchChild(child);
    expect(await watched.exit).toBe(1);
    // stdout (the JSON log) and stderr interleave in any order: look for the CLI's own line.
    const lines = watched.output().trimEnd().split("\n");
    expect(lines.filter((line) => line.startsWith("nat64-relay agent run:"))).toEqual([
      "nat64-relay agent run: EACCES: permission denied, mkdir '/nonexistent-home': this user may not write there; run as root, or point --state-dir (or --root) at a directory you can write",
    ]);
  });
});
