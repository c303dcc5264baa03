import { describe, expect, it } from "vitest";
import { readApiEnv, tailscaleAuthOf } from "../../../src/api/env.ts";
import { RelayError } from "../../../src/core/errors.ts";

function problemsOf(source: Record<string, string>): string[] {
  try {
    readApiEnv(source);
  } catch (error) {
    if (error instanceof RelayError) return error.problems.map((p) => p.path);
    throw error;
  }
  return [];
}

describe("API configuration", () => {
  it("fills the documented defaults", () => {
    const env = readApiEnv({});
    expect(env).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 8787,
      DATABASE_PATH: "./data/nat64-relay.db",
      TAILSCALE_TAILNET: "-",
      TAILSCALE_API_BASE_URL: "https://api.tailscale.com",
      MAX_BODY_BYTES: 65_536,
      MAX_CONNECTIONS: 1024,
      MAX_CONNECTIONS_PER_SOURCE: 128,
      IDLE_TIMEOUT_SECONDS: 30,
      RELAY_MAX_NODES: 16,
      RELAY_NODE_PRUNE_SECONDS: 604_800,
    });
    expect(tailscaleAuthOf(env)).toBeUndefined();
  });

  it("asks agents to report every 30 s unless configured otherwise", () => {
    expect(readApiEnv({}).AGENT_REPORT_INTERVAL_SECONDS).toBe(30);
    expect(readApiEnv({ AGENT_REPORT_INTERVAL_SECONDS: "2" }).AGENT_REPORT_INTERVAL_SECONDS).toBe(
      2,
    );
    expect(problemsOf({ AGENT_REPORT_INTERVAL_SECONDS: "0" })).toEqual([
      "AGENT_REPORT_INTERVAL_SECONDS",
    ]);
  });

  it("bounds the request and node limits", () => {
    expect(problemsOf({ MAX_BODY_BYTES: "10" })).toEqual(["MAX_BODY_BYTES"]);
    expect(problemsOf({ MAX_CONNECTIONS: "0" })).toEqual(["MAX_CONNECTIONS"]);
    expect(problemsOf({ MAX_CONNECTIONS_PER_SOURCE: "0" })).toEqual(["MAX_CONNECTIONS_PER_SOURCE"]);
    expect(problemsOf({ IDLE_TIMEOUT_SECONDS: "0" })).toEqual(["IDLE_TIMEOUT_SECONDS"]);
    expect(problemsOf({ RELAY_MAX_NODES: "0" })).toEqual(["RELAY_MAX_NODES"]);
    expect(problemsOf({ RELAY_NODE_PRUNE_SECONDS: "60" })).toEqual(["RELAY_NODE_PRUNE_SECONDS"]);
  });

  it("names the exact bad key", () => {
    expect(problemsOf({ PORT: "http" })).toEqual(["PORT"]);
    expect(problemsOf({ TAILSCALE_API_BASE_URL: "not a url" })).toEqual(["TAILSCALE_API_BASE_URL"]);
    expect(problemsOf({ TAILSCALE_OAUTH_CLIENT_ID: "k123" })).toEqual([
      "TAILSCALE_OAUTH_CLIENT_SECRET",
    ]);
    expect(problemsOf({ ADMIN_TOKEN: "short" })).toEqual(["ADMIN_TOKEN"]);
  });

  it("chooses an API key or OAuth client credentials", () => {
    expect(tailscaleAuthOf(readApiEnv({ TAILSCALE_API_KEY: "tskey-api-x" }))).toEqual({
      kind: "apiKey",
      apiKey: "tskey-api-x",
    });
    expect(
      tailscaleAuthOf(
        readApiEnv({
          TAILSCALE_OAUTH_CLIENT_ID: "k",
          TAILSCALE_OAUTH_CLIENT_SECRET: "tskey-client-s",
        }),
      ),
    ).toEqual({ kind: "oauth", clientId: "k", clientSecret: "tskey-client-s" });
  });
});
