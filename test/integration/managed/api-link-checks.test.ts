// `agent doctor`'s API link checks against the real API over loopback: reachable with a valid
// token, the revision this node applied (none, the current one, an older one), a revoked token,
// the API down.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { saveLastKnownGood } from "../../../src/relay-agent/config-source/last-known-good.ts";
import { apiLinkChecks } from "../../../src/relay-agent/doctor/api-link-checks.ts";
import { HttpAgentApi } from "../../../src/relay-agent/managed/api-link.ts";
import { type RealApi, startRealApi } from "./real-api.ts";

describe("agent doctor: the API link (real API over loopback)", () => {
  let api: RealApi;
  let stateDir: string;

  beforeEach(async () => {
    api = await startRealApi();
    stateDir = mkdtempSync(join(tmpdir(), "nat64-relay-doctor-"));
  });
  afterEach(async () => {
    await api.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const summary = (checks: Awaited<ReturnType<typeof apiLinkChecks>>) =>
    checks.map((check) => [check.id, check.status, check.detail]);

  async function save(revision: number) {
    await saveLastKnownGood(stateDir, {
      revision,
      config: {},
      api: api.url,
      savedAt: new Date().toISOString(),
    });
  }

  it("says reachable, token valid, and whether the API's revision is applied here", async () => {
    const token = await api.createRelay("edge");
    const link = new HttpAgentApi({ url: api.url, token });
    const response = await api.call("GET", "/v1/agent/config", undefined, token);
    const { revision } = (await response.json()) as { revision: number };

    expect(summary(await apiLinkChecks(link, stateDir))).toEqual([
      ["api-link", "pass", `${api.url} reachable, token valid`],
      [
        "api-revision",
        "fail",
        `the API holds revision ${revision}; this node has applied none (no saved config)`,
      ],
    ]);
    await save(revision);
    expect(summary(await apiLinkChecks(link, stateDir))[1]).toEqual([
      "api-revision",
      "pass",
      `revision ${revision} applied`,
    ]);
    await save(revision - 1);
    expect(summary(await apiLinkChecks(link, stateDir))[1]).toEqual([
      "api-revision",
      "warn",
      `the API holds revision ${revision}; this node last applied ${revision - 1}`,
    ]);
  });

  it("names a refused token and an unreachable API", async () => {
    const token = await api.createRelay("edge");
    const link = new HttpAgentApi({ url: api.url, token, requestTimeoutMs: 2000 });
    await api.revoke(token);
    const [refused] = await apiLinkChecks(link, stateDir);
    expect(refused).toMatchObject({
      id: "api-link",
      status: "fail",
      detail: `${api.url} refused the agent token (HTTP 401, unauthenticated: unknown or revoked token)`,
    });
    await api.stop();
    const [down] = await apiLinkChecks(link, stateDir);
    expect(down?.status).toBe("fail");
    // A pooled connection the server closed, or a fresh one refused: either way, said plainly.
    expect(down?.detail).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+ is not reachable: http:\/\/127\.0\.0\.1:\d+: (connection refused \(is the API running on that address\?\)|the connection closed before an answer)$/,
    );
  });
});
