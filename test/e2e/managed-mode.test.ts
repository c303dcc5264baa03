// Managed mode end to end in network namespaces: the real API (Node, SQLite) and the Tailscale
// API fake in the upstream namespace; a managed agent (DNS + tayga + nftables) in the relay
// namespace that gets its config from the API; nsd, the IPv4 target and the client as in the
// NAT64 suite. The operator's verbs go over HTTP (the Slack path is the bot's; see
// docs/managed.md). Steps run in order and build on each other.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digAaaa, ping, tcpSend } from "./lab/client-probes.ts";
import { ControlPlane, type LabDevice } from "./lab/control-plane.ts";
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
import { ADDR, Lab, POOL, PREFIX, REAL, SPLIT, synthesized } from "./lab/topology.ts";

const available = labAvailable();

const RELAY1_IPS = ["100.101.102.103", ADDR.relay6];
const RELAY2_IPS = ["100.101.102.104", "fd7a:115c:a1e0::3"];
const DEVICES: LabDevice[] = [
  { nodeId: "nRelay1", hostname: "relay", addresses: RELAY1_IPS, advertisedRoutes: [PREFIX] },
  { nodeId: "nRelay2", hostname: "relay-2", addresses: RELAY2_IPS, advertisedRoutes: [PREFIX] },
];
const sorted = (list: readonly string[]) => [...list].sort();
/** The target's address in the prefix as dig prints it (RFC 5952 text). */
const TARGET_AAAA = new URL(`http://[${synthesized(ADDR.target)}]`).hostname.slice(1, -1);

interface NodeStatus {
  nodeId: string;
  state: "up" | "down";
  appliedRevision: number;
  upToDate: boolean;
  lastSeenAt: string;
  counters: Record<string, number> | null;
}

describe.runIf(available)("managed mode end to end (API, agent, client in namespaces)", () => {
  let lab: Lab;
  let control: ControlPlane;
  let agentToken: string;
  let files: AgentFiles;
  let tailscale: FakeTailscale;
  let agent: RunningAgent;

  beforeAll(async () => {
    lab = await Lab.create({ secondRelay: true });
    await lab.settle();
    await startNsd(lab);
    await startTargetServer(lab);
    control = new ControlPlane(lab, ADDR.upstream);
    await control.startFakeTailscale(DEVICES);
    await control.startApi();
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
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  async function nodes(): Promise<NodeStatus[]> {
    const status = await control.call("GET", "/v1/status");
    const relays = (status.body as { relays?: { name: string; nodes: NodeStatus[] }[] }).relays;
    return relays?.find((relay) => relay.name === "edge")?.nodes ?? [];
  }

  async function addDomain(name: string): Promise<void> {
    const added = await control.call("POST", "/v1/split-domains", {
      name,
      realSuffix: REAL,
      relay: "edge",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
  }

  /** waitFor, with the agent's and the API's log on a timeout. */
  const until = (what: string, probe: () => Promise<boolean>, timeoutMs = 15_000) =>
    waitFor(what, probe, timeoutMs, 250).catch((error: Error) => {
      throw new Error(
        `${error.message}\nagent log:\n${agent.log()}\nAPI log:\n${control.apiLog().slice(-5000)}`,
      );
    });

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

  it("a split domain added through the API: Tailscale gets the relay's IPs and route, the client resolves my-vps.r9929 and reaches the IPv4 target", async () => {
    expect((await digAaaa(lab, `my-vps.${SPLIT}`)).status).toBe("REFUSED");
    await addDomain(SPLIT);
    await until(`my-vps.${SPLIT} to resolve into the prefix`, resolvesToTarget(`my-vps.${SPLIT}`));
    await until("split DNS and the route in the Tailscale fake", async () => {
      const state = await control.fakeState();
      return (
        state.splitDns[SPLIT]?.join() === sorted(RELAY1_IPS).join() &&
        (state.devices.find((d) => d.nodeId === "nRelay1")?.enabledRoutes ?? []).includes(PREFIX)
      );
    });
    expect(await ping(lab, synthesized(ADDR.target), 3)).toBe(true);
    expect(await tcpSend(lab, synthesized(ADDR.target), 1024 * 1024)).toEqual({
      peer: ADDR.relayEgress,
      bytes: 1024 * 1024,
    });
    await until("a status report with the new revision and DNS counters", async () => {
      const [node] = await nodes();
      return Boolean(node?.upToDate && (node.counters?.dns_queries ?? 0) > 0);
    });
    const [node] = await nodes();
    expect(node).toMatchObject({ nodeId: "nRelay1", state: "up", upToDate: true });
    expect(node?.counters?.nat64_from_clients_packets).toBeGreaterThan(0);
    const revision = (await control.call("GET", "/v1/agent/config", undefined, agentToken))
      .body as {
      revision: number;
    };
    expect(await doctorLink()).toEqual([
      ["api-link", "pass", `${control.apiUrl} reachable, token valid`],
      ["api-revision", "pass", `revision ${revision.revision} applied`],
    ]);
  });

  it("a removed split domain: the name is REFUSED and the Tailscale fake's entry is gone", async () => {
    const removed = await control.call("DELETE", `/v1/split-domains/${SPLIT}`);
    expect(removed.status).toBe(204);
    await until(
      `my-vps.${SPLIT} to be REFUSED`,
      async () => (await digAaaa(lab, `my-vps.${SPLIT}`)).status === "REFUSED",
    );
    await until(
      "the fake's split DNS entry to go",
      async () => !(SPLIT in (await control.fakeState()).splitDns),
    );
  });

  it("the API down: the relay keeps working", async () => {
    await addDomain(SPLIT);
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

  it("the API back: the agent catches up with a change made meanwhile", async () => {
    await control.startApi();
    await addDomain("r8000");
    // The agent is still backing off (capped): it finds the change at its next attempt.
    await until("my-vps.r8000 to resolve", resolvesToTarget("my-vps.r8000"), 90_000);
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);
  });

  it("two relay nodes with one token: both nameservers; one stopped turns down and the nameservers shrink, back again they grow", async () => {
    const dir = join(lab.dir, "relay2");
    await mkdir(dir, { recursive: true });
    const files2 = await managedAgentFiles(
      dir,
      `http://${ADDR.upstream2}:8787`,
      agentToken,
      "127.0.0.1:53",
    );
    const tailscale2 = await installFakeTailscale(dir, []);
    await setFakeIdentity(tailscale2, "nRelay2", "relay-2", RELAY2_IPS);
    const args = [
      join(REPO, "bin/nat64-relay.js"),
      "agent",
      "run",
      "--config",
      files2.config,
      "--root",
      files2.root,
      "--tailscale",
      tailscale2.binary,
    ];
    let second = lab.spawn("relay2", process.execPath, args);
    const both = sorted([...RELAY1_IPS, ...RELAY2_IPS]).join();
    const splitIs = (wanted: string) => async () =>
      (await control.fakeState()).splitDns[SPLIT]?.join() === wanted;
    await until("both nodes as split DNS nameservers", splitIs(both), 30_000);
    expect((await nodes()).map((n) => [n.nodeId, n.state])).toEqual([
      ["nRelay1", "up"],
      ["nRelay2", "up"],
    ]);
    const approved = (await control.fakeState()).devices.map((d) => d.enabledRoutes);
    expect(approved).toEqual([[PREFIX], [PREFIX]]);

    await stopProcess(second);
    await until(
      "the stopped node to leave the nameservers",
      splitIs(sorted(RELAY1_IPS).join()),
      30_000,
    );
    expect((await nodes()).map((n) => [n.nodeId, n.state])).toEqual([
      ["nRelay1", "up"],
      ["nRelay2", "down"],
    ]);
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);

    second = lab.spawn("relay2", process.execPath, args);
    await until("the node to come back as a nameserver", splitIs(both), 30_000);
    await stopProcess(second);
  });

  it("a revoked agent token: the agent stops polling and reporting, says why, and keeps serving", async () => {
    const id = /^n64r_([a-z2-7]{16})_/.exec(agentToken)?.[1];
    const revoked = await control.call("DELETE", `/v1/tokens/${id}`);
    expect(revoked.status).toBe(204);
    await until("the agent to say why it stopped", async () =>
      agent.log().includes("refused this agent's"),
    );
    const seen = (await nodes()).find((n) => n.nodeId === "nRelay1")?.lastSeenAt;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await nodes()).find((n) => n.nodeId === "nRelay1")?.lastSeenAt).toBe(seen);
    expect(agent.log()).toContain(
      "Put a valid agent token in the token file and restart the agent.",
    );
    expect(await resolvesToTarget(`my-vps.${SPLIT}`)()).toBe(true);
    expect(await ping(lab, synthesized(ADDR.target), 2)).toBe(true);
    expect((await doctorLink())[0]?.slice(0, 2)).toEqual(["api-link", "fail"]);
  });
});
