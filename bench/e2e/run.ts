// `npm run bench:e2e` — managed mode, two figures (printed, never asserted):
// (1) the time from the operator's command (a signed `/relay add-domain r9929 real.test` posted
//     to the real API's /slack/events in the lab's control namespace) to the client's first
//     successful relayed `ping my-vps.r9929`, median of 5 rounds (network namespaces, root; each
//     round bounded to 30 s; the domain is removed between rounds);
// (2) the API's CPU per idle long-polling agent: 100 simulated agents (the real config source and
//     status reporter, no data plane) against `nat64-relay api` on 127.0.0.1, over a 60 s idle
//     window, CPU from /proc.
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiConfigSource } from "../../src/relay-agent/config-source/api-source.ts";
import { HttpAgentApi } from "../../src/relay-agent/managed/api-link.ts";
import { LinkHealth } from "../../src/relay-agent/managed/link-health.ts";
import { StatusReporter } from "../../src/relay-agent/managed/status-reporter.ts";
import { ControlPlane } from "../../test/e2e/lab/control-plane.ts";
import { installFakeTailscale } from "../../test/e2e/lab/fake-tailscale.ts";
import { managedAgentFiles, setFakeIdentity } from "../../test/e2e/lab/managed-agent.ts";
import { labUnavailableReason } from "../../test/e2e/lab/require-lab.ts";
import { startAgent, startNsd, startTargetServer, waitFor } from "../../test/e2e/lab/services.ts";
import { LAB_BOT_TOKEN, LabSlack, labSlackEnv } from "../../test/e2e/lab/slack-requests.ts";
import { ADDR, Lab, POOL, PREFIX, SPLIT } from "../../test/e2e/lab/topology.ts";
import { startApiServer } from "../lib/api-server.ts";
import { cpuSeconds } from "../lib/proc-cpu.ts";

const ROUNDS = 5;
const ROUND_LIMIT_MS = 30_000;
const AGENTS = 100;
const IDLE_SECONDS = 60;
const REAL_SUFFIX = "real.test";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function commandToPing(): Promise<void> {
  const reason = labUnavailableReason();
  if (reason) {
    console.log(`(1) command → first relayed ping: skipped (${reason})`);
    return;
  }
  const lab = await Lab.create({ control: true });
  try {
    await lab.settle();
    await startNsd(lab, { alsoRealSuffixes: [REAL_SUFFIX] });
    await startTargetServer(lab);
    const control = new ControlPlane(lab, ADDR.control, "control");
    await control.startFakeTailscale([
      {
        nodeId: "nRelay1",
        hostname: "relay",
        addresses: ["100.101.102.103", ADDR.relay6],
        advertisedRoutes: [PREFIX],
      },
    ]);
    await control.startFakeSlack(LAB_BOT_TOKEN);
    await control.startApi(labSlackEnv(control));
    const slack = new LabSlack(control);
    const created = await control.call("POST", "/v1/relays", {
      name: "edge",
      prefix: PREFIX,
      pool: POOL,
      egressInterfaces: ["eth0"],
      upstreams: [ADDR.upstream],
      allowFrom: ["fd7a:115c:a1e0::/48"],
      maxTtl: 0,
    });
    const token = (created.body as { agentToken: string }).agentToken;
    const dir = join(lab.dir, "relay1");
    await mkdir(dir, { recursive: true });
    const files = await managedAgentFiles(dir, control.apiUrl, token, `[${ADDR.relay6}]:53`);
    const tailscale = await installFakeTailscale(dir, []);
    await setFakeIdentity(tailscale, "nRelay1", "relay", ["100.101.102.103", ADDR.relay6]);
    await startAgent(lab, files, tailscale.binary);
    const pingOnce = () =>
      lab
        .exec("client", "ping", ["-6", "-c", "1", "-W", "1", `my-vps.${SPLIT}`], {
          timeoutMs: 5000,
        })
        .then(
          () => true,
          () => false,
        );
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      await slack.command(`add-domain ${SPLIT} ${REAL_SUFFIX}`);
      await waitFor("the first relayed ping", pingOnce, ROUND_LIMIT_MS, 20);
      times.push(performance.now() - started);
      // Clean-up between rounds, not measured: the HTTP verb (the Slack removal asks first).
      await control.call("DELETE", `/v1/split-domains/${SPLIT}`);
      await waitFor("the name to go", async () => !(await pingOnce()), ROUND_LIMIT_MS, 100);
    }
    console.log(
      `(1) signed /relay add-domain ${SPLIT} ${REAL_SUFFIX} → first successful relayed ping my-vps.${SPLIT}: median ${median(times).toFixed(0)} ms of ${ROUNDS} (${times.map((t) => t.toFixed(0)).join(", ")} ms)`,
    );
  } finally {
    await lab.destroy();
  }
}

const silent = { info() {}, warn() {}, error() {} };

async function idleAgentCpu(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nat64-relay-bench-e2e-"));
  const {
    child,
    url,
    token: admin,
  } = await startApiServer(dir, {
    RECONCILE_INTERVAL_SECONDS: "0",
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    for (let i = 0; i < AGENTS; i++) {
      const response = await fetch(`${url}/v1/relays`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        body: JSON.stringify({ name: `edge-${i}` }),
      });
      if (response.status !== 201) throw new Error(`create relay: ${await response.text()}`);
      const { agentToken } = (await response.json()) as { agentToken: string };
      const api = new HttpAgentApi({ url, token: agentToken });
      const health = new LinkHealth(url);
      const stateDir = join(dir, `agent-${i}`);
      let revision: number | undefined;
      const reporter = new StatusReporter({
        api,
        health,
        log: silent,
        collect: async () =>
          revision === undefined
            ? undefined
            : {
                nodeId: `nBench${i}`,
                hostname: `edge-${i}`,
                addresses: [`100.64.${Math.floor(i / 250)}.${(i % 250) + 1}`],
                appliedRevision: revision,
                counters: { dns_queries: 0 },
              },
      });
      const source = new ApiConfigSource({
        api,
        health,
        stateDir,
        log: silent,
        onApplied: (applied) => {
          revision = applied.revision;
          void reporter.reportSoon();
        },
      });
      const first = await source.first();
      if (!first.ok) throw new Error(first.problems[0]?.message);
      source.watch(async () => ({ ok: true, changedKeys: [], hostChanges: [] }));
      reporter.start();
      closers.push(async () => {
        await source.close();
        await reporter.stop();
      });
    }
    // Let the first polls and reports settle, then measure an idle window.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const before = cpuSeconds(child.pid);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(child.pid) - before;
    console.log(
      `(2) API CPU with ${AGENTS} idle long-polling agents (wait=55 s, reports every 30 s) over ${seconds.toFixed(0)} s: ${(cpu * 1000).toFixed(0)} ms total = ${((cpu * 1000 * 60) / seconds / AGENTS).toFixed(2)} ms CPU per agent per minute (${((cpu / seconds / AGENTS) * 100).toFixed(4)} % of one core per agent)`,
    );
  } finally {
    await Promise.all(closers.map((close) => close()));
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await commandToPing();
await idleAgentCpu();
