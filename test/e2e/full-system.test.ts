// The whole system in network namespaces, driven from Slack: the real API (`nat64-relay api`,
// Node + SQLite) with the bot mounted at /slack/events, the Tailscale API fake and the Slack Web
// API fake in the control namespace; two managed agents (DNS + tayga + nftables) in the relay
// namespaces, getting their config from the API; nsd, the IPv4 target and the client as in the
// NAT64 suite. Every operator step is a signed Slack request (docs/slack.md); the test reads what
// the bot posted from the Slack fake. Steps run in order and build on each other.

import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlackApi } from "../fakes/slack-api.ts";
import { digAaaa, ping, tcpSend } from "./lab/client-probes.ts";
import { ControlPlane, type LabDevice, type SlackFakeState } from "./lab/control-plane.ts";
import { type FakeTailscale, installFakeTailscale } from "./lab/fake-tailscale.ts";
import { managedAgentFiles, setFakeIdentity } from "./lab/managed-agent.ts";
import { labAvailable } from "./lab/require-lab.ts";
import {
  type AgentFiles,
  agentArgs,
  cli,
  REPO,
  type RunningAgent,
  startAgent,
  startNsd,
  startTargetServer,
  stopProcess,
  waitFor,
} from "./lab/services.ts";
import { LAB_BOT_TOKEN, LAB_OPERATOR, LabSlack, labSlackEnv } from "./lab/slack-requests.ts";
import { ADDR, Lab, POOL, PREFIX, SPLIT, synthesized } from "./lab/topology.ts";

const available = labAvailable();

/** The real suffix the operator types in Slack (nsd serves it beside the lab's REAL). */
const REAL_SUFFIX = "real.test";
/** Report interval the API hands the agents: a node silent for 3 of them is down. */
const REPORT_SECONDS = 3;
const RELAY1_IPS = ["100.101.102.103", ADDR.relay6];
const RELAY2_IPS = ["100.101.102.104", "fd7a:115c:a1e0::3"];
const DEVICES: LabDevice[] = [
  { nodeId: "nRelay1", hostname: "relay", addresses: RELAY1_IPS, advertisedRoutes: [PREFIX] },
  { nodeId: "nRelay2", hostname: "relay-2", addresses: RELAY2_IPS, advertisedRoutes: [PREFIX] },
];
const sorted = (list: readonly string[]) => [...list].sort();
const BOTH_IPS = sorted([...RELAY1_IPS, ...RELAY2_IPS]);
/** The target's address in the prefix as dig prints it (RFC 5952 text). */
const TARGET_AAAA = new URL(`http://[${synthesized(ADDR.target)}]`).hostname.slice(1, -1);
const UPDATING = (revision: number) =>
  `This message updates as the relay's nodes apply revision ${revision} and the reconciler runs.`;

interface NodeStatus {
  nodeId: string;
  state: "up" | "down";
  appliedRevision: number;
  upToDate: boolean;
  lastSeenAt: string;
  counters: Record<string, number> | null;
}

type Message = SlackFakeState["messages"][number];

const textsOf = (blocks: Message["blocks"]) => FakeSlackApi.textsOf(blocks);

/** The node lines of a confirmation, each reduced to its state: "relay: applied 3". */
function nodeStates(blocks: Message["blocks"]): string[] {
  return textsOf(blocks)
    .flatMap((text) => text.split("\n"))
    .flatMap((line) => {
      const node = /Node `([^`]+)` (.*)$/.exec(line);
      if (!node) return [];
      const [, host, rest = ""] = node;
      const applied = /^applied revision (\d+)$/.exec(rest);
      const waiting = /^runs revision (\d+), waiting for (\d+)/.exec(rest);
      if (applied) return [`${host}: applied ${applied[1]}`];
      if (waiting) return [`${host}: runs ${waiting[1]}, waiting for ${waiting[2]}`];
      return [`${host}: ${rest}`];
    });
}

/** Consecutive equal entries folded into one: the steps a sequence went through. */
function steps<T>(values: readonly T[]): T[] {
  return values.filter(
    (value, index) => index === 0 || JSON.stringify(value) !== JSON.stringify(values[index - 1]),
  );
}

describe.runIf(available)("the full system, driven from Slack (namespaces)", () => {
  let lab: Lab;
  let control: ControlPlane;
  let slack: LabSlack;
  let agentToken: string;
  let files: AgentFiles;
  let tailscale: FakeTailscale;
  let agent: RunningAgent;
  let second: ChildProcess;
  let secondArgs: string[];
  let secondLog: () => string = () => "";

  const apiEnv = () => ({
    ...labSlackEnv(control),
    AGENT_REPORT_INTERVAL_SECONDS: String(REPORT_SECONDS),
  });

  function startSecond(): void {
    second = lab.spawn("relay2", process.execPath, secondArgs, {
      env: { NAT64_RELAY_LOG_LEVEL: "info" },
    });
    let text = "";
    const keep = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000);
    };
    second.stdout?.on("data", keep);
    second.stderr?.on("data", keep);
    secondLog = () => text;
  }

  beforeAll(async () => {
    lab = await Lab.create({ secondRelay: true, control: true });
    await lab.settle();
    await startNsd(lab, { alsoRealSuffixes: [REAL_SUFFIX] });
    await startTargetServer(lab);
    control = new ControlPlane(lab, ADDR.control, "control");
    await control.startFakeTailscale(DEVICES);
    await control.startFakeSlack(LAB_BOT_TOKEN);
    await control.startApi(apiEnv());
    slack = new LabSlack(control);
    // Creating the relay is the operator's API/CLI step (docs/managed.md); Slack adds domains.
    const created = await control.call("POST", "/v1/relays", {
      name: "edge",
      prefix: PREFIX,
      pool: POOL,
      engine: "tayga",
      overlayInterface: "tailscale0",
      egressInterfaces: ["eth0"],
      upstreams: [ADDR.upstream],
      allowFrom: ["fd7a:115c:a1e0::/48"],
      maxTtl: 60,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    agentToken = (created.body as { agentToken: string }).agentToken;

    const dir = join(lab.dir, "relay1");
    await mkdir(dir, { recursive: true });
    files = await managedAgentFiles(dir, control.apiUrl, agentToken, `[${ADDR.relay6}]:53`);
    tailscale = await installFakeTailscale(dir, []);
    await setFakeIdentity(tailscale, "nRelay1", "relay", RELAY1_IPS);
    agent = await startAgent(lab, files, tailscale.binary);

    const dir2 = join(lab.dir, "relay2");
    await mkdir(dir2, { recursive: true });
    const files2 = await managedAgentFiles(
      dir2,
      `http://${ADDR.control2}:8787`,
      agentToken,
      "127.0.0.1:53",
    );
    const tailscale2 = await installFakeTailscale(dir2, []);
    await setFakeIdentity(tailscale2, "nRelay2", "relay-2", RELAY2_IPS);
    secondArgs = [
      join(REPO, "bin/nat64-relay.js"),
      "agent",
      "run",
      ...agentArgs(files2, tailscale2.binary),
    ];
    startSecond();
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  /** waitFor, with the agents' and the API's logs on a timeout. */
  const until = (what: string, probe: () => Promise<boolean>, timeoutMs = 15_000) =>
    waitFor(what, probe, timeoutMs, 250).catch((error: Error) => {
      throw new Error(
        `${error.message}\nagent log:\n${agent.log()}\nsecond agent log:\n${secondLog().slice(-3000)}\nAPI log:\n${control.apiLog().slice(-5000)}`,
      );
    });

  async function nodes(): Promise<NodeStatus[]> {
    const status = await control.call("GET", "/v1/status");
    const relays = (status.body as { relays?: { name: string; nodes: NodeStatus[] }[] }).relays;
    return relays?.find((relay) => relay.name === "edge")?.nodes ?? [];
  }

  async function relayRevision(): Promise<number> {
    const relay = await control.call("GET", "/v1/relays/edge");
    return (relay.body as { configRevision: number }).configRevision;
  }

  async function messages(): Promise<Message[]> {
    return (await control.slackState()).messages;
  }

  async function repliesTo(id: string) {
    return (await control.slackState()).responses
      .filter((reply) => reply.id === id)
      .map((reply) => reply.body);
  }

  /** `agent doctor --json` on the relay: its API link checks as [id, status, detail]. */
  async function doctorLink(): Promise<string[][]> {
    const doctor = await cli(lab, "relay", [
      "agent",
      "doctor",
      "--json",
      ...agentArgs(files, tailscale.binary),
    ]);
    const report = JSON.parse(doctor.stdout) as {
      checks: { id: string; status: string; detail: string }[];
    };
    return report.checks
      .filter((check) => check.id.startsWith("api-"))
      .map((check) => [check.id, check.status, check.detail]);
  }

  const resolvesToTarget = (name: string) => async () => {
    const answer = await digAaaa(lab, name);
    return answer.status === "NOERROR" && answer.addresses.join() === TARGET_AAAA;
  };

  const splitIs = (domain: string, wanted: readonly string[]) => async () =>
    (await control.fakeState()).splitDns[domain]?.join() === wanted.join();

  it("a badly signed /relay add-domain is refused with 401 and changes nothing", async () => {
    await until("both nodes to report", async () => (await nodes()).length === 2);
    const { id, body } = slack.commandBody(`add-domain ${SPLIT} ${REAL_SUFFIX}`);
    const forged = await slack.post(body, "not-the-signing-secret");
    expect(forged.status).toBe(401);
    expect((forged.body as { error: { code: string } }).error.code).toBe("unauthenticated");
    const listed = await control.call("GET", "/v1/split-domains");
    expect((listed.body as { splitDomains: unknown[] }).splitDomains).toEqual([]);
    const recorded = await control.slackState();
    expect(recorded.messages).toEqual([]);
    expect(recorded.responses).toEqual([]);
    expect(await repliesTo(id)).toEqual([]);
    expect((await control.fakeState()).splitDns).toEqual({});
  });

  it("a signed /relay add-domain r9929 real.test: Tailscale gets both nodes' IPs and the route, the confirmation follows the nodes one by one, the client reaches the IPv4 target", async () => {
    await until(
      "both nodes up on the current revision",
      async () =>
        (await nodes()).map((n) => `${n.nodeId} ${n.state} ${n.upToDate}`).join() ===
        "nRelay1 up true,nRelay2 up true",
    );
    const before = await relayRevision();
    expect((await digAaaa(lab, `my-vps.${SPLIT}`)).status).toBe("REFUSED");
    // Both agents held (SIGSTOP) so the nodes apply in a known order; each hold stays well
    // under the 3 report intervals after which a node counts as down.
    const first = agent.child;
    const other = second;
    for (const child of [first, other]) process.kill(child.pid ?? 0, "SIGSTOP");
    let held = [first, other];
    try {
      const id = await slack.command(`add-domain ${SPLIT} ${REAL_SUFFIX}`);
      await until("the confirmation in the channel", async () => (await messages()).length === 1);
      process.kill(first.pid ?? 0, "SIGCONT");
      held = [other];
      const revision = await relayRevision();
      expect(revision).toBeGreaterThan(before);
      await until("the confirmation to show the first node's apply", async () =>
        nodeStates((await messages())[0]?.blocks ?? []).includes(`relay: applied ${revision}`),
      );
      process.kill(other.pid ?? 0, "SIGCONT");
      held = [];
      await until(
        "the confirmation to say All done.",
        async () => textsOf((await messages())[0]?.blocks ?? []).at(-1) === "All done.",
      );
      expect(await repliesTo(id)).toEqual([]);

      const [message] = await messages();
      expect(message?.channel).toBe("C0RELAYS");
      // Node by node: both waiting, the first applied, both applied; then no more updates.
      expect(steps(message?.history.map((version) => nodeStates(version.blocks)) ?? [])).toEqual([
        [
          `relay: runs ${before}, waiting for ${revision}`,
          `relay-2: runs ${before}, waiting for ${revision}`,
        ],
        [`relay: applied ${revision}`, `relay-2: runs ${before}, waiting for ${revision}`],
        [`relay: applied ${revision}`, `relay-2: applied ${revision}`],
      ]);
      const footers = message?.history.map((version) => textsOf(version.blocks).at(-1));
      expect(footers?.slice(0, -1).every((footer) => footer === UPDATING(revision))).toBe(true);
      expect(textsOf(message?.blocks ?? [])).toEqual([
        `:white_check_mark: <@${LAB_OPERATOR}> added split domain \`${SPLIT}\`: \`host.${SPLIT}\` → \`host.${REAL_SUFFIX}\` through relay \`edge\` (config revision ${revision}).`,
        [
          `:white_check_mark: Split DNS for \`${SPLIT}\`: set, queries go to ${BOTH_IPS.join(", ")}`,
          `:white_check_mark: Route \`${PREFIX}\` on \`relay\`: approved`,
          `:white_check_mark: Route \`${PREFIX}\` on \`relay-2\`: approved`,
          `:white_check_mark: Node \`relay\` applied revision ${revision}`,
          `:white_check_mark: Node \`relay-2\` applied revision ${revision}`,
        ].join("\n"),
        "All done.",
      ]);
      const calls = (await control.slackState()).calls.map((call) => call.method);
      expect(calls.filter((method) => method === "chat.postMessage")).toHaveLength(1);
      expect(calls.filter((method) => method === "chat.update")).toHaveLength(
        (message?.history.length ?? 0) - 1,
      );
      // Done is done: another report interval brings no further update.
      const versions = message?.history.length;
      await new Promise((resolve) => setTimeout(resolve, REPORT_SECONDS * 1000 + 500));
      expect((await messages())[0]?.history.length).toBe(versions);
    } finally {
      for (const child of held) if (child.pid) process.kill(child.pid, "SIGCONT");
    }

    const state = await control.fakeState();
    expect(state.splitDns).toEqual({ [SPLIT]: BOTH_IPS });
    expect(state.devices.map((device) => [device.nodeId, device.enabledRoutes])).toEqual([
      ["nRelay1", [PREFIX]],
      ["nRelay2", [PREFIX]],
    ]);
    await until(`my-vps.${SPLIT} to resolve into the prefix`, resolvesToTarget(`my-vps.${SPLIT}`));
    expect(await ping(lab, synthesized(ADDR.target), 3)).toBe(true);
    expect(await tcpSend(lab, synthesized(ADDR.target), 1024 * 1024)).toEqual({
      peer: ADDR.relayEgress,
      bytes: 1024 * 1024,
    });
    await until("a status report with DNS and NAT64 counters", async () => {
      const node = (await nodes()).find((n) => n.nodeId === "nRelay1");
      return (
        (node?.counters?.dns_queries ?? 0) > 0 &&
        (node?.counters?.nat64_from_clients_packets ?? 0) > 0
      );
    });
    expect(await doctorLink()).toEqual([
      ["api-link", "pass", `${control.apiUrl} reachable, token valid`],
      ["api-revision", "pass", `revision ${await relayRevision()} applied`],
    ]);
  });

  it("/relay remove-domain r9929 and the signed Remove button: the name is REFUSED and the fake's entry is gone", async () => {
    const asked = await slack.command(`remove-domain ${SPLIT}`);
    await until("the question", async () => (await messages()).length === 2);
    const question = (await messages())[1] as Message;
    expect(textsOf(question.blocks)).toEqual([
      `:question: <@${LAB_OPERATOR}> asks to remove split domain \`${SPLIT}\` (\`host.${SPLIT}\` → \`host.${REAL_SUFFIX}\` through relay \`edge\`).\nOnce the relay's nodes apply the change and the split DNS entry is taken back, \`host.${SPLIT}\` no longer resolves.`,
      "Remove | Cancel",
      `Only <@${LAB_OPERATOR}> can confirm or cancel, within 10 minutes.`,
    ]);
    // Asking changes nothing.
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);
    const confirmed = await slack.press(question, "relay_remove_domain_confirm");
    await until(
      `my-vps.${SPLIT} to be REFUSED`,
      async () => (await digAaaa(lab, `my-vps.${SPLIT}`)).status === "REFUSED",
    );
    await until("the fake's split DNS entry to go", async () =>
      Object.keys((await control.fakeState()).splitDns).every((domain) => domain !== SPLIT),
    );
    await until(
      "the question rewritten, All done.",
      async () => textsOf((await messages())[1]?.blocks ?? []).at(-1) === "All done.",
    );
    const revision = await relayRevision();
    expect(textsOf((await messages())[1]?.blocks ?? [])).toEqual([
      `:wastebasket: <@${LAB_OPERATOR}> removed split domain \`${SPLIT}\` (was \`host.${SPLIT}\` → \`host.${REAL_SUFFIX}\` through relay \`edge\`; config revision ${revision}).`,
      [
        `:white_check_mark: Split DNS for \`${SPLIT}\`: removed from Tailscale`,
        `:white_check_mark: Node \`relay\` applied revision ${revision}`,
        `:white_check_mark: Node \`relay-2\` applied revision ${revision}`,
      ].join("\n"),
      "All done.",
    ]);
    expect(await repliesTo(asked)).toEqual([]);
    expect(await repliesTo(confirmed)).toEqual([]);
    expect((await messages()).length).toBe(2);
  });

  it("the API down: the relay keeps working", async () => {
    await slack.command(`add-domain ${SPLIT} ${REAL_SUFFIX}`);
    await until(`my-vps.${SPLIT} to resolve again`, resolvesToTarget(`my-vps.${SPLIT}`));
    await control.stopApi();
    await until("the agent to notice", async () =>
      agent.log().includes("cannot reach the API; retrying with backoff"),
    );
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);
    expect(await ping(lab, synthesized(ADDR.target), 2)).toBe(true);
  });

  it("the agent restarted while the API is still down: it serves the last-known-good config", async () => {
    await stopProcess(agent.child);
    agent = await startAgent(lab, files, tailscale.binary);
    expect(agent.log()).toContain(
      "the API is not answering; starting from the last-known-good copy",
    );
    await until(`my-vps.${SPLIT} after the restart`, resolvesToTarget(`my-vps.${SPLIT}`));
    expect(await ping(lab, synthesized(ADDR.target), 2)).toBe(true);
  });

  it("the API back: the agent catches up with a change made meanwhile from Slack", async () => {
    await control.startApi(apiEnv());
    await slack.command(`add-domain r8000 ${REAL_SUFFIX}`);
    // The agent is still backing off (capped): it finds the change at its next attempt.
    await until("my-vps.r8000 to resolve", resolvesToTarget("my-vps.r8000"), 90_000);
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);
  });

  it("two relay nodes: one stopped turns down in /v1/status and /relay status and the nameservers shrink; back again they grow", async () => {
    await until("both nodes as split DNS nameservers", splitIs(SPLIT, BOTH_IPS), 90_000);
    await until(
      "both nodes up on the current revision",
      async () =>
        (await nodes()).map((n) => `${n.nodeId} ${n.state} ${n.upToDate}`).join() ===
        "nRelay1 up true,nRelay2 up true",
      30_000,
    );
    const revision = await relayRevision();
    await stopProcess(second);
    await until(
      "the stopped node to leave the nameservers",
      splitIs(SPLIT, sorted(RELAY1_IPS)),
      30_000,
    );
    expect((await nodes()).map((n) => [n.nodeId, n.state])).toEqual([
      ["nRelay1", "up"],
      ["nRelay2", "down"],
    ]);
    expect((await control.fakeState()).splitDns.r8000).toEqual(sorted(RELAY1_IPS));
    const asked = await slack.command("status edge");
    await until("the status reply", async () => (await repliesTo(asked)).length === 1);
    const [reply] = await repliesTo(asked);
    expect(reply?.response_type).toBe("ephemeral");
    const lines = textsOf(reply?.blocks ?? [])
      .flatMap((text) => text.split("\n"))
      .filter((line) => line.includes("Node `"));
    expect(lines.map((line) => line.replace(/, last seen .*$/, ""))).toEqual([
      `:white_check_mark: Node \`relay\`: revision ${revision} (current)`,
      `:x: Node \`relay-2\` (down: no recent report): revision ${revision} (current)`,
    ]);
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);

    startSecond();
    await until("the node to come back as a nameserver", splitIs(SPLIT, BOTH_IPS), 30_000);
    expect((await nodes()).map((n) => [n.nodeId, n.state])).toEqual([
      ["nRelay1", "up"],
      ["nRelay2", "up"],
    ]);
  });

  it("a revoked agent token: the agents stop polling and reporting, say why, and keep serving", async () => {
    const id = /^n64r_([a-z2-7]{16})_/.exec(agentToken)?.[1];
    const revoked = await control.call("DELETE", `/v1/tokens/${id}`);
    expect(revoked.status).toBe(204);
    await until("the agents to say why they stopped", async () =>
      [agent.log(), secondLog()].every((log) => log.includes("refused this agent's")),
    );
    const seen = (await nodes()).map((n) => n.lastSeenAt);
    await new Promise((resolve) => setTimeout(resolve, 2 * REPORT_SECONDS * 1000));
    expect((await nodes()).map((n) => n.lastSeenAt)).toEqual(seen);
    expect(agent.log()).toContain(
      "Put a valid agent token in the token file and restart the agent.",
    );
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);
    expect(await ping(lab, synthesized(ADDR.target), 2)).toBe(true);
    expect((await doctorLink())[0]?.slice(0, 2)).toEqual(["api-link", "fail"]);
  });
});
