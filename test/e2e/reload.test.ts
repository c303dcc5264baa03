// A running agent reloaded by editing its file: none → tayga → none → tayga. The relay path
// works exactly when the engine translates, and after `none` the relay namespace and the
// agent's root are as they were before the agent first ran. An invalid file while running is
// refused with its key paths and the previous config keeps serving. Each step's time from the
// edit to the new state is printed (the target, < 2 s, is a bench figure, not an assertion).
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relayPathWorks as probeRelayPath } from "./lab/client-probes.ts";
import { installFakeTailscale } from "./lab/fake-tailscale.ts";
import { labAvailable } from "./lab/require-lab.ts";
import {
  type AgentFiles,
  type RunningAgent,
  startAgent,
  startNsd,
  startTargetServer,
  stopProcess,
  writeAgentConfig,
} from "./lab/services.ts";
import { netnsSnapshot, treeSnapshot } from "./lab/snapshot.ts";
import { ADDR, Lab, PREFIX, SPLIT, synthesized } from "./lab/topology.ts";

const available = labAvailable();
/** Generous: the machine is shared; the figure printed is what counts. */
const EVENTUALLY_MS = 30_000;
/** my-vps's 198.18.1.2 in the prefix, as dig prints it (RFC 5952 text). */
const ANSWER = "fd4e:2a91:7c3d:6464::c612:102";

const relayPathWorks = (lab: Lab) =>
  probeRelayPath(lab, `my-vps.${SPLIT}`, ANSWER, synthesized(ADDR.target));

async function until(what: string, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < EVENTUALLY_MS) {
    if (await probe().catch(() => false)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not reached within ${EVENTUALLY_MS} ms: ${what}`);
}

describe.runIf(available)("reloading a running agent by editing its file", () => {
  let lab: Lab;
  let files: AgentFiles;
  let agent: RunningAgent;
  let netnsBefore: Record<string, string>;
  let rootBefore: Record<string, string>;
  let tailscale: Awaited<ReturnType<typeof installFakeTailscale>>;
  const figures: string[] = [];

  const edit = (engine: string, extra: Record<string, unknown> = {}) =>
    writeAgentConfig(lab, "relay.yaml", { engine, ...extra });

  beforeAll(async () => {
    lab = await Lab.create();
    await lab.settle();
    await startNsd(lab);
    await startTargetServer(lab);
    files = await edit("none");
    // As `agent install` leaves it: the state directory exists.
    await mkdir(join(files.root, "var/lib/nat64-relay"), { recursive: true });
    tailscale = await installFakeTailscale(lab.dir, ["10.99.0.0/24"]);
    netnsBefore = await netnsSnapshot(lab, "relay");
    rootBefore = await treeSnapshot(files.root);
    agent = await startAgent(lab, files, tailscale.binary);
  });

  afterAll(async () => {
    if (agent) await stopProcess(agent.child);
    if (figures.length) console.log(`reload by file edit:\n  ${figures.join("\n  ")}`);
    await lab?.destroy();
  });

  const advertised = async () =>
    (JSON.parse(await readFile(tailscale.prefsPath, "utf8")) as { AdvertiseRoutes: string[] })
      .AdvertiseRoutes;

  it("none: answers DNS, but the relay path does not translate and the host is untouched", async () => {
    const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    expect(stdout.trim()).toBe(ANSWER);
    expect(await relayPathWorks(lab)).toBe(false);
    expect(await netnsSnapshot(lab, "relay")).toEqual(netnsBefore);
    expect(await treeSnapshot(files.root)).toEqual(rootBefore);
  });

  for (const round of [1, 2]) {
    it(`none → tayga (round ${round}): the relay path works`, async () => {
      await edit("tayga");
      const ms = await until("the relay path through tayga", () => relayPathWorks(lab));
      figures.push(`none → tayga (round ${round}): ${ms.toFixed(0)} ms to a working relay path`);
      expect(await advertised()).toEqual(["10.99.0.0/24", PREFIX]);
    });

    if (round === 1) {
      it("an invalid file is refused with its key paths; the old config keeps serving", async () => {
        await writeAgentConfig(lab, "relay.yaml", { engine: "tayga", maxTtl: -1, pool: 7 });
        await until("the refusal in the log", async () => agent.log().includes("reload failed"));
        const refusal = agent
          .log()
          .split("\n")
          .find((line) => line.includes("reload failed"));
        expect(refusal).toContain("maxTtl");
        expect(refusal).toContain("pool");
        expect(await relayPathWorks(lab)).toBe(true);
      });

      it("tayga → none: the relay path stops and the namespace and files are as before the agent", async () => {
        await edit("none");
        // Both: the namespace is back before the apply's last steps (advertised routes, the
        // record) are done, so the files are compared only once they are too.
        const ms = await until(
          "the relay namespace and the agent's files back to their snapshots",
          async () =>
            JSON.stringify(await netnsSnapshot(lab, "relay")) === JSON.stringify(netnsBefore) &&
            JSON.stringify(await treeSnapshot(files.root)) === JSON.stringify(rootBefore),
        );
        figures.push(`tayga → none: ${ms.toFixed(0)} ms to the pre-agent namespace and files`);
        expect(await netnsSnapshot(lab, "relay")).toEqual(netnsBefore);
        expect(await treeSnapshot(files.root)).toEqual(rootBefore);
        expect(await advertised()).toEqual(["10.99.0.0/24"]);
        expect(await relayPathWorks(lab)).toBe(false);
        // DNS goes on answering throughout.
        const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
        expect(stdout.trim()).toBe(ANSWER);
      });
    }
  }
});
