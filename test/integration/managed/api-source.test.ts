// The managed config source against the real API over loopback HTTP: first config, long-poll
// updates, last-known-good on disk, starting with the API down, refusing a config, a revoked
// token, backoff while the API is away, local keys over the API's.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiConfigSource } from "../../../src/relay-agent/config-source/api-source.ts";
import type {
  SourceApplyResult,
  SourceCandidate,
} from "../../../src/relay-agent/config-source/apply-outcome.ts";
import { lastKnownGoodPath } from "../../../src/relay-agent/config-source/last-known-good.ts";
import { HttpAgentApi } from "../../../src/relay-agent/managed/api-link.ts";
import { LinkHealth } from "../../../src/relay-agent/managed/link-health.ts";
import { type RealApi, startRealApi } from "./real-api.ts";
import { eventually, RecordingLog } from "./recording-log.ts";

const PREFIX = "fd4e:2a91:7c3d:6464::/96";

type Document = Record<string, unknown> & { splitDomains?: { name: string }[] };

interface Agent {
  readonly source: ApiConfigSource;
  readonly health: LinkHealth;
  readonly log: RecordingLog;
  /** Origins and documents of what the agent runs, in order (the first included). */
  readonly running: { origin: string; document: Document }[];
  readonly sleeps: number[];
  start(): Promise<void>;
}

const APPLIED: SourceApplyResult = { ok: true, changedKeys: ["splitDomains"], hostChanges: [] };

describe("managed config source (real API over loopback)", () => {
  let api: RealApi;
  let stateDir: string;
  const agents: Agent[] = [];

  beforeEach(async () => {
    api = await startRealApi({ AGENT_MAX_WAIT_SECONDS: "20" });
    stateDir = mkdtempSync(join(tmpdir(), "nat64-relay-agent-state-"));
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.source.close();
    await api.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function agentWith(
    token: string,
    options: {
      decide?: (document: Document) => SourceApplyResult;
      waitSeconds?: number;
      localKeys?: Record<string, unknown>;
    } = {},
  ): Agent {
    const health = new LinkHealth(api.url);
    const log = new RecordingLog();
    const running: Agent["running"] = [];
    const sleeps: number[] = [];
    const source = new ApiConfigSource({
      api: new HttpAgentApi({ url: api.url, token, fetch: api.fetch, requestTimeoutMs: 2000 }),
      health,
      stateDir,
      log,
      waitSeconds: options.waitSeconds ?? 20,
      ...(options.localKeys ? { localKeys: options.localKeys } : {}),
      backoff: { initialMs: 40, maxMs: 200 },
      sleep: (ms, signal) => {
        sleeps.push(ms);
        return new Promise((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      },
    });
    const handle = async (candidate: SourceCandidate): Promise<SourceApplyResult> => {
      if (!candidate.ok) throw new Error("the source offered a failed candidate");
      const document = candidate.document as Document;
      const result = options.decide?.(document) ?? APPLIED;
      if (result.ok) running.push({ origin: candidate.origin, document });
      return result;
    };
    const agent: Agent = {
      source,
      health,
      log,
      running,
      sleeps,
      async start() {
        const first = await source.first();
        if (!first.ok) throw new Error(first.problems.map((p) => p.message).join("; "));
        running.push({ origin: first.origin, document: first.document as Document });
        source.watch(handle);
      },
    };
    agents.push(agent);
    return agent;
  }

  async function currentRevision(token: string): Promise<number> {
    const response = await api.call("GET", "/v1/agent/config", undefined, token);
    return ((await response.json()) as { revision: number }).revision;
  }

  const domainsOf = (entry: { document: Document } | undefined) =>
    entry?.document.splitDomains?.map((d) => d.name);

  it("starts from the API's config, keeps it on disk (0600) and applies a new revision within 2 s", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const agent = agentWith(token);
    await agent.start();
    const first = await currentRevision(token);
    expect(agent.running.map((r) => r.origin)).toEqual([`${api.url} revision ${first}`]);
    expect(agent.running[0]?.document.prefix).toBe(PREFIX);
    await eventually("the copy on disk", async () => {
      const saved = await readFile(lastKnownGoodPath(stateDir), "utf8").catch(() => "{}");
      return JSON.parse(saved).revision === first;
    });
    const saved = JSON.parse(await readFile(lastKnownGoodPath(stateDir), "utf8"));
    expect(saved).toMatchObject({ revision: first, api: api.url, config: { prefix: PREFIX } });
    expect((await stat(lastKnownGoodPath(stateDir))).mode & 0o777).toBe(0o600);

    await eventually("the long poll to be waiting", () =>
      api.agentRequests.some((r) => r === "GET /v1/agent/config?wait=20"),
    );
    const changedAt = Date.now();
    await api.addDomain("r9929", "edge");
    await eventually("the new revision applied", () => agent.running.length === 2, 2000);
    expect(Date.now() - changedAt).toBeLessThan(2000);
    expect(domainsOf(agent.running[1])).toEqual(["r9929"]);
    const second = await currentRevision(token);
    expect(second).toBeGreaterThan(first);
    expect(agent.source.state).toMatchObject({
      appliedRevision: second,
      appliedFrom: "api",
      refused: undefined,
      lastApply: { revision: second, outcome: "applied", changes: ["splitDomains changed"] },
    });
    await eventually("the copy on disk to be the new revision", async () => {
      const copy = JSON.parse(await readFile(lastKnownGoodPath(stateDir), "utf8"));
      return copy.revision === second;
    });
    // Long polls carry the applied revision; nothing re-fetches the whole config in between.
    const configGets = api.agentRequests.filter((r) => r.startsWith("GET /v1/agent/config"));
    expect(configGets.slice(0, 2)).toEqual([
      "GET /v1/agent/config",
      "GET /v1/agent/config?wait=20",
    ]);
  });

  it("puts this node's local keys over the API's, in the running config and not in the saved copy", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX, listen: ["100.64.0.1:53"] });
    const agent = agentWith(token, { localKeys: { listen: ["127.0.0.1:5353"] } });
    await agent.start();
    expect(agent.running[0]?.document.listen).toEqual(["127.0.0.1:5353"]);
    await eventually("the copy on disk", async () =>
      readFile(lastKnownGoodPath(stateDir), "utf8").then(
        () => true,
        () => false,
      ),
    );
    const saved = JSON.parse(await readFile(lastKnownGoodPath(stateDir), "utf8"));
    expect(saved.config.listen).toEqual(["100.64.0.1:53"]);
  });

  it("starts from the last-known-good copy while the API is down, then catches up with a change made meanwhile", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const first = agentWith(token);
    await first.start();
    const saved = await currentRevision(token);
    await eventually("the copy on disk", async () =>
      readFile(lastKnownGoodPath(stateDir), "utf8").then(
        () => true,
        () => false,
      ),
    );
    await first.source.close();
    await api.stop();

    const second = agentWith(token);
    await second.start();
    expect(second.running.map((r) => r.origin)).toEqual([`last-known-good revision ${saved}`]);
    expect(second.running[0]?.document.prefix).toBe(PREFIX);
    expect(second.log.at("warn")).toContain(
      "the API is not answering; starting from the last-known-good copy",
    );
    // While the API is away the retries back off (jittered, capped at 200 ms here).
    await eventually("a few retries", () => second.sleeps.length >= 4);
    expect(second.sleeps.every((ms) => ms >= 20 && ms <= 200)).toBe(true);
    expect(second.log.at("warn").filter((m) => m.startsWith("cannot reach the API"))).toHaveLength(
      1,
    );

    await api.start();
    await api.addDomain("r9929", "edge");
    await eventually("the change made while it was away", () => second.running.length === 2);
    expect(second.running[1]?.origin).toBe(`${api.url} revision ${await currentRevision(token)}`);
    expect(domainsOf(second.running[1])).toEqual(["r9929"]);
    expect(second.log.at("info")).toContain("the API answers again");
  });

  it("refuses a config it cannot apply, keeps the last good one (in memory and on disk) and takes the next good revision", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const agent = agentWith(token, {
      decide: (document) =>
        document.splitDomains?.some((d) => d.name === "bad")
          ? {
              ok: false,
              message: "refused",
              problems: [{ path: "splitDomains.0", message: "bad is not servable here" }],
            }
          : APPLIED,
    });
    await agent.start();
    const good = await currentRevision(token);
    await api.addDomain("bad", "edge");
    await eventually("the refusal", () => agent.source.state.refused !== undefined);
    const bad = await currentRevision(token);
    expect(agent.source.state).toMatchObject({
      appliedRevision: good,
      appliedFrom: "api",
      refused: { revision: bad, reasons: ["refused", "splitDomains.0: bad is not servable here"] },
      lastApply: { revision: bad, outcome: "refused", changes: [] },
    });
    expect(agent.log.at("error")).toEqual([
      `refused config revision ${bad}; the previous config keeps running`,
    ]);
    const copy = JSON.parse(await readFile(lastKnownGoodPath(stateDir), "utf8"));
    expect(copy.revision).toBe(good);

    const removed = await api.call("DELETE", "/v1/split-domains/bad");
    expect(removed.status).toBe(204);
    await eventually(
      "the next revision applied",
      () => (agent.source.state.appliedRevision ?? 0) > bad,
    );
    expect(agent.source.state.refused).toBeUndefined();
  });

  it("stops polling on a revoked token with one clear line and keeps the running config", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const agent = agentWith(token, { waitSeconds: 1 });
    await agent.start();
    const running = await currentRevision(token);
    await eventually("the long poll", () =>
      api.agentRequests.includes("GET /v1/agent/config?wait=1"),
    );
    await api.revoke(token);
    await eventually("the denial", () => agent.health.denied !== undefined, 5000);
    const before = api.agentRequests.length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(api.agentRequests.length).toBe(before);
    expect(agent.log.at("error")).toEqual([
      `the API at ${api.url} refused this agent's token (HTTP 401, unauthenticated: unknown or revoked token): stopped polling; revision ${running} keeps serving. Put a valid agent token in the token file and restart the agent.`,
    ]);
    expect(agent.source.state.appliedRevision).toBe(running);
  });

  it("refuses the start with the reason when the token is refused and nothing was saved", async () => {
    const agent = agentWith("n64r_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    await expect(agent.start()).rejects.toThrow(
      "refused this agent's token (HTTP 401, unauthenticated: unknown or revoked token): stopped polling; no config is running.",
    );
  });

  it("ignores a saved copy that is corrupt, saying why", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    await writeFile(lastKnownGoodPath(stateDir), "{not json");
    const agent = agentWith(token);
    await agent.start();
    expect(agent.running.map((r) => r.origin)).toEqual([
      `${api.url} revision ${await currentRevision(token)}`,
    ]);
    expect(agent.log.lines.find((l) => l.level === "warn")).toEqual({
      level: "warn",
      message: "ignoring the saved config",
      fields: { reason: `${lastKnownGoodPath(stateDir)} is not JSON` },
    });
  });
});
