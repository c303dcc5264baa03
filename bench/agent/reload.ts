// `npm run bench:reload` (as root: network namespaces) — how long a running agent takes to follow
// an edit of its file, engine none → tayga → none, several rounds. Per step, two times from the
// moment the file is written:
//   applied: the agent logs "reloaded: …" (its file watch saw the edit and the apply finished);
//   path:    none → tayga: the client resolves my-vps.<split> and its ping through the relay
//            answers; tayga → none: the relay namespace equals its snapshot from before the
//            agent first ran (sysctls, tun, routes, nft table).
// Prints figures; asserts nothing (issue 8's target: each step within 2 s). Every step is
// bounded to 30 s and the rounds to BENCH_ROUNDS (default 5); traffic stays in the lab.
import { performance } from "node:perf_hooks";
import { relayPathWorks as probeRelayPath } from "../../test/e2e/lab/client-probes.ts";
import { installFakeTailscale } from "../../test/e2e/lab/fake-tailscale.ts";
import { labUnavailableReason } from "../../test/e2e/lab/require-lab.ts";
import {
  startAgent,
  startNsd,
  startTargetServer,
  stopProcess,
  writeAgentConfig,
} from "../../test/e2e/lab/services.ts";
import { netnsSnapshot } from "../../test/e2e/lab/snapshot.ts";
import { ADDR, Lab, SPLIT, synthesized } from "../../test/e2e/lab/topology.ts";

const ROUNDS = Math.min(20, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5)));
const STEP_LIMIT_MS = 30_000;
/** my-vps's 198.18.1.2 in the lab prefix, as dig prints it (RFC 5952 text). */
const ANSWER = "fd4e:2a91:7c3d:6464::c612:102";

const reason = labUnavailableReason();
if (reason) {
  console.log(`bench:reload skipped: ${reason}`);
  process.exit(0);
}

async function until(probe: () => Promise<boolean>, started: number): Promise<number> {
  while (performance.now() - started < STEP_LIMIT_MS) {
    if (await probe().catch(() => false)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`a step took more than ${STEP_LIMIT_MS} ms`);
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const lab = await Lab.create();
const figures = {
  "none → tayga": { applied: [] as number[], path: [] as number[] },
  "tayga → none": { applied: [] as number[], path: [] as number[] },
};
try {
  await lab.settle();
  await startNsd(lab);
  await startTargetServer(lab);
  const edit = (engine: string) => writeAgentConfig(lab, "relay.yaml", { engine });
  const files = await edit("none");
  const tailscale = await installFakeTailscale(lab.dir, []);
  const before = JSON.stringify(await netnsSnapshot(lab, "relay"));
  const agent = await startAgent(lab, files, tailscale.binary);
  // Each "reloaded" line's arrival time, read straight off the agent's output.
  const reloadedAt: number[] = [];
  const watch = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n"))
      if (line.includes("reloaded")) reloadedAt.push(performance.now());
  };
  agent.child.stdout?.on("data", watch);
  agent.child.stderr?.on("data", watch);

  // A short wait per ping: one sent just before tayga is up must not cost a whole second.
  const relayPathWorks = () =>
    probeRelayPath(lab, `my-vps.${SPLIT}`, ANSWER, synthesized(ADDR.target), "0.1");
  const backToSnapshot = async () => JSON.stringify(await netnsSnapshot(lab, "relay")) === before;

  const step = async (engine: "tayga" | "none", name: keyof typeof figures) => {
    const seen = reloadedAt.length;
    const started = performance.now();
    await edit(engine);
    const path = await until(engine === "tayga" ? relayPathWorks : backToSnapshot, started);
    await until(async () => reloadedAt.length > seen, started);
    figures[name].applied.push((reloadedAt[seen] ?? Number.NaN) - started);
    figures[name].path.push(path);
  };

  for (let round = 0; round < ROUNDS; round++) {
    await step("tayga", "none → tayga");
    await step("none", "tayga → none");
  }
  await stopProcess(agent.child);
} finally {
  await lab.destroy();
}

console.log(`bench:reload: ${ROUNDS} rounds of none → tayga → none (file edit, file watch)`);
for (const [name, { applied, path }] of Object.entries(figures)) {
  const list = (values: number[]) => values.map((value) => value.toFixed(0)).join(", ");
  console.log(
    `  ${name}: applied median ${median(applied).toFixed(0)} ms (${list(applied)}); ` +
      `${name.endsWith("tayga") ? "relay path works" : "namespace as before"} median ` +
      `${median(path).toFixed(0)} ms (${list(path)})`,
  );
}
