// The managed config source against the real API over loopback HTTP: first config, long-poll
// updates, last-known-good on disk, starting with the API down, refusing a config, a revoked
// token, backoff while the API is away.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiConfigSource } from "../../../src/relay-agent/config-source/api-source.ts";
import type {
  ApplyOutcome,
  ConfigCandidate,
} from "../../../src/relay-agent/config-source/apply-outcome.ts";
import { lastKnownGoodPath } from "../../../src/relay-agent/config-source/last-known-good.ts";
import { HttpAgentApi } from "../../../src/relay-agent/managed/api-link.ts";
import { LinkHealth } from "../../../src/relay-agent/managed/link-health.ts";
import { type RealApi, startRealApi } from "./real-api.ts";
import { eventually, RecordingLog } from "./recording-log.ts";

const PREFIX = "fd4e:2a91:7c3d:6464::/96";

interface Agent {
  readonly source: ApiConfigSource;
  readonly health: LinkHealth;
  readonly log: RecordingLog;
  readonly applied: ConfigCandidate[];
  readonly sleeps: number[];
}

describe("managed config source (real API over loopback)", () => {
  let api: RealApi;
  let stateDir: string;
  const agents: Agent[] = [];

  beforeEach(async () => {
    api = await startRealApi({ AGENT_MAX_WAIT_SECONDS: "20" });
    stateDir = mkdtempSync(join(tmpdir(), "nat64-relay-agent-state-"));
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.source.stop();
    await api.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function agentWith(
    token: string,
    decide: (candidate: ConfigCandidate) => ApplyOutcome = () => ({
      kind: "applied",
      changes: ["config"],
    }),
    waitSeconds = 20,
  ): Agent {
    const url = api.url;
    const health = new LinkHealth(url);
    const log = new RecordingLog();
    const applied: ConfigCandidate[] = [];
    const sleeps: number[] = [];
    const source = new ApiConfigSource({
      api: new HttpAgentApi({ url, token, fetch: api.fetch, requestTimeoutMs: 2000 }),
      health,
      stateDir,
      log,
      waitSeconds,
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
      apply: async (candidate) => {
        const outcome = decide(candidate);
        if (outcome.kind === "applied") applied.push(candidate);
        return outcome;
      },
    });
    const agent = { source, health, log, applied, sleeps };
    agents.push(agent);
    return agent;
  }

  async function currentRevision(token: string): Promise<number> {
    const response = await api.call("GET", "/v1/agent/config", undefined, token);
    return ((await response.json()) as { revision: number }).revision;
  }

  const domainsOf = (candidate: ConfigCandidate | undefined) =>
    (candidate?.config.splitDomains as { name: string }[] | undefined)?.map((d) => d.name);

  it("starts from the API's config, keeps it on disk (0600, atomically) and applies a new revision within 2 s", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const agent = agentWith(token);
    await agent.source.start();
    const first = await currentRevision(token);
    expect(agent.applied.map((c) => [c.revision, c.origin])).toEqual([[first, "api"]]);
    expect(agent.applied[0]?.config.prefix).toBe(PREFIX);
    const saved = JSON.parse(await readFile(lastKnownGoodPath(stateDir), "utf8"));
    expect(saved).toMatchObject({ revision: first, api: api.url, config: { prefix: PREFIX } });
    expect((await stat(lastKnownGoodPath(stateDir))).mode & 0o777).toBe(0o600);

    agent.source.run();
    await eventually("the long poll to be waiting", () =>
      api.agentRequests.some((r) => r === "GET /v1/agent/config?wait=20"),
    );
    const changedAt = Date.now();
    await api.addDomain("r9929", "edge");
    await eventually("revision 2 applied", () => agent.applied.length === 2, 2000);
    expect(Date.now() - changedAt).toBeLessThan(2000);
    expect(domainsOf(agent.applied[1])).toEqual(["r9929"]);
    const second = await currentRevision(token);
    expect(second).toBeGreaterThan(first);
    expect(agent.source.state).toEqual({
      appliedRevision: second,
      appliedFrom: "api",
      refused: undefined,
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

  it("starts from the last-known-good copy while the API is down, then catches up with a change made meanwhile", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const first = agentWith(token);
    await first.source.start();
    await first.source.stop();
    const saved = await currentRevision(token);
    await api.stop();

    const second = agentWith(token);
    await second.source.start();
    expect(second.applied.map((c) => [c.revision, c.origin])).toEqual([[saved, "last-known-good"]]);
    expect(second.log.at("warn")).toContain(
      "the API is not answering; starting from the last-known-good copy",
    );
    second.source.run();
    // While the API is away the retries back off (jittered, capped at 200 ms here).
    await eventually("a few retries", () => second.sleeps.length >= 4);
    expect(second.sleeps.every((ms) => ms >= 20 && ms <= 200)).toBe(true);
    expect(second.log.at("warn").filter((m) => m.startsWith("cannot reach the API"))).toHaveLength(
      1,
    );

    await api.start();
    await api.addDomain("r9929", "edge");
    await eventually("the change made while it was away", () => second.applied.length === 2);
    expect(second.applied[1]?.origin).toBe("api");
    expect(domainsOf(second.applied[1])).toEqual(["r9929"]);
    expect(second.log.at("info")).toContain("the API answers again");
  });

  it("refuses a config it cannot apply, keeps the last good one (in memory and on disk) and takes the next good revision", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    const agent = agentWith(token, (candidate) =>
      domainsOf(candidate)?.includes("bad")
        ? { kind: "refused", reasons: ["splitDomains: bad is not servable here"] }
        : { kind: "applied", changes: ["split domains"] },
    );
    await agent.source.start();
    const good = await currentRevision(token);
    agent.source.run();
    await api.addDomain("bad", "edge");
    await eventually("the refusal", () => agent.source.state.refused !== undefined);
    const bad = await currentRevision(token);
    expect(agent.source.state).toEqual({
      appliedRevision: good,
      appliedFrom: "api",
      refused: { revision: bad, reasons: ["splitDomains: bad is not servable here"] },
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
    const agent = agentWith(token, undefined, 1);
    await agent.source.start();
    const running = agent.source.state.appliedRevision;
    agent.source.run();
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

  it("fails the start with the reason when the token is refused and nothing was saved", async () => {
    const agent = agentWith("n64r_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    await expect(agent.source.start()).rejects.toThrow(
      "refused this agent's token (HTTP 401, unauthenticated: unknown or revoked token): stopped polling; no config is running.",
    );
  });

  it("ignores a saved copy that is corrupt or came from another API, saying why", async () => {
    const token = await api.createRelay("edge", { prefix: PREFIX });
    await writeFile(lastKnownGoodPath(stateDir), "{not json");
    const agent = agentWith(token);
    await agent.source.start();
    expect(agent.applied.map((c) => c.origin)).toEqual(["api"]);
    expect(agent.log.lines.find((l) => l.level === "warn")).toEqual({
      level: "warn",
      message: "ignoring the saved config",
      fields: { reason: `${lastKnownGoodPath(stateDir)} is not JSON` },
    });
  });
});
