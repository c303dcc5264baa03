// The pipeline: candidate → validate → node defaults → apply (data plane, then DNS) → result.
// A failure at either step puts every part back on the previous config, which keeps serving.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ResolvedRelayConfig } from "../../../src/core/index.ts";
import { Agent, type AgentDataPlane, type AgentDns } from "../../../src/relay-agent/agent.ts";
import type { ConfigCandidate } from "../../../src/relay-agent/config-source/config-source.ts";
import type { DnsSettings } from "../../../src/relay-agent/dns/settings.ts";
import { AgentError } from "../../../src/relay-agent/errors.ts";

const logger = pino({ level: "silent" });

/** This node's facts: a kept prefix, no Tailscale, listen required. */
const NODE = {
  prefix: async () => "fd00:1:2:6464::/96",
  tailscaleIps: async () => [],
  requireListen: true,
};

/** Each part records the configs it was given, and fails once when told to. */
function parts() {
  const applied: string[] = [];
  const failNext = { dns: false, dataPlane: false };
  const name = (config: ResolvedRelayConfig) =>
    `${config.engine}/${config.splitDomains.map((d) => d.name).join(",")}`;
  const dataPlane: AgentDataPlane = {
    observer: () => undefined,
    async apply(config) {
      if (failNext.dataPlane) {
        failNext.dataPlane = false;
        // The real data plane goes back to its previous state itself before it throws.
        throw new AgentError(
          "host_failed",
          "[nft] create table inet nat64_relay failed: nft: syntax error",
        );
      }
      applied.push(`data plane ${name(config)}`);
      return { changes: [`converged to ${config.engine}`], warnings: [] };
    },
    close: async () => {},
  };
  const dns: AgentDns = {
    restartKeys: ["metricsListen"],
    async apply(_settings: DnsSettings, config) {
      if (failNext.dns) {
        failNext.dns = false;
        throw Object.assign(new Error("bind EADDRINUSE 127.0.0.1:5353"), { code: "EADDRINUSE" });
      }
      applied.push(`dns ${name(config)}`);
    },
    close: async () => {},
  };
  const agent = new Agent({
    dns,
    dataPlane,
    logger,
    serial: () => 1,
    node: NODE,
  });
  return { agent, applied, failNext };
}

const candidate = (document: unknown): ConfigCandidate => ({
  ok: true,
  origin: "relay.yaml",
  document,
});

const config = (engine: string, ...split: string[]) => ({
  engine,
  listen: ["127.0.0.1:5353"],
  splitDomains: split.map((name) => ({ name, realSuffix: "tail1234.ts.net" })),
});

describe("Agent.applyCandidate", () => {
  it("applies the data plane, then DNS, and says which keys changed", async () => {
    const { agent, applied } = await parts();
    const first = await agent.applyCandidate(candidate(config("none", "r9929")));
    expect(first).toEqual({
      ok: true,
      origin: "relay.yaml",
      changedKeys: [],
      hostChanges: ["converged to none"],
      restartRequired: [],
      warnings: [],
    });
    const second = await agent.applyCandidate(
      candidate({ ...config("tayga", "r9929", "via4321"), metricsListen: "127.0.0.1:9153" }),
    );
    expect(second).toEqual({
      ok: true,
      origin: "relay.yaml",
      changedKeys: ["engine", "metricsListen", "splitDomains"],
      hostChanges: ["converged to tayga"],
      restartRequired: ["metricsListen"],
      warnings: [],
    });
    expect(applied).toEqual([
      "data plane none/r9929",
      "dns none/r9929",
      "data plane tayga/r9929,via4321",
      "dns tayga/r9929,via4321",
    ]);
  });

  it("refuses an invalid document with every key path, touching nothing", async () => {
    const { agent, applied } = await parts();
    await agent.applyCandidate(candidate(config("none", "r9929")));
    const result = await agent.applyCandidate(
      candidate({ engine: "tayga", maxTtl: -1, splitDomains: [{ name: "a.b", realSuffix: 42 }] }),
    );
    expect(result).toEqual({
      ok: false,
      origin: "relay.yaml",
      code: "invalid_config",
      message: "relay.yaml is not a valid relay config",
      problems: [
        { path: "maxTtl", message: "Too small: expected number to be >=0" },
        {
          path: "splitDomains.0.realSuffix",
          message: "Invalid input: expected string, received number",
        },
      ],
      keptPrevious: true,
    });
    expect(applied).toEqual(["data plane none/r9929", "dns none/r9929"]);
    expect(agent.config?.engine).toBe("none");
  });

  it("a failing data plane step refuses the config; DNS keeps the previous settings", async () => {
    const { agent, applied, failNext } = await parts();
    await agent.applyCandidate(candidate(config("none", "r9929")));
    failNext.dataPlane = true;
    const result = await agent.applyCandidate(candidate(config("tayga", "r9929")));
    expect(result).toMatchObject({
      ok: false,
      code: "host_failed",
      message: "[nft] create table inet nat64_relay failed: nft: syntax error",
      keptPrevious: true,
    });
    expect(applied).toEqual(["data plane none/r9929", "dns none/r9929"]);
    expect(agent.config?.engine).toBe("none");
  });

  it("a failing DNS step puts the data plane back on the previous config too", async () => {
    const { agent, applied, failNext } = await parts();
    await agent.applyCandidate(candidate(config("none", "r9929")));
    failNext.dns = true;
    const result = await agent.applyCandidate(candidate(config("tayga", "via4321")));
    expect(result).toMatchObject({ ok: false, code: "listen_failed", keptPrevious: true });
    expect(applied).toEqual([
      "data plane none/r9929",
      "dns none/r9929",
      "data plane tayga/via4321",
      // Back to the previous config, both parts.
      "data plane none/r9929",
      "dns none/r9929",
    ]);
    expect(agent.config?.splitDomains.map((d) => d.name)).toEqual(["r9929"]);
  });

  it("an unreadable candidate is refused with its reason", async () => {
    const { agent } = await parts();
    const result = await agent.applyCandidate({
      ok: false,
      origin: "/etc/nat64-relay/relay.yaml",
      problems: [{ path: "", message: "cannot read /etc/nat64-relay/relay.yaml: no such file" }],
    });
    expect(result).toEqual({
      ok: false,
      origin: "/etc/nat64-relay/relay.yaml",
      code: "invalid_config",
      message: "/etc/nat64-relay/relay.yaml is not a valid relay config",
      problems: [{ path: "", message: "cannot read /etc/nat64-relay/relay.yaml: no such file" }],
      keptPrevious: false,
    });
  });
});

describe("Agent: the DNS side gets ready while the data plane converges", () => {
  it("prepares DNS once a config is valid, before the data plane, never for a refused one", async () => {
    const steps: string[] = [];
    const agent = new Agent({
      logger,
      serial: () => 1,
      node: NODE,
      dataPlane: {
        observer: () => undefined,
        async apply(config) {
          steps.push(`data plane ${config.engine}`);
          return { changes: [], warnings: [] };
        },
        close: async () => {},
      },
      dns: {
        restartKeys: [],
        prepare: (config) => steps.push(`dns prepare cacheBytes=${config.cacheBytes}`),
        async apply(_settings, config) {
          steps.push(`dns apply ${config.engine}`);
        },
        close: async () => {},
      },
    });
    await agent.applyCandidate(candidate({ ...config("none", "r9929"), cacheBytes: 8388608 }));
    await agent.applyCandidate(candidate({ engine: "none", maxTtl: -1 }));
    expect(steps).toEqual(["dns prepare cacheBytes=8388608", "data plane none", "dns apply none"]);
  });
});
