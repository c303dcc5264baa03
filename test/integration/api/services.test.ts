// Service verbs and the storage rules under them, against a real SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addSplitDomain } from "../../../src/api/services/add-split-domain.ts";
import { authenticate } from "../../../src/api/services/authenticate.ts";
import { ensureBootstrapAdmin } from "../../../src/api/services/bootstrap-admin.ts";
import { checkHealth } from "../../../src/api/services/check-health.ts";
import type { Caller, ServiceContext } from "../../../src/api/services/context.ts";
import { createRelay } from "../../../src/api/services/create-relay.ts";
import { reportAgentStatus } from "../../../src/api/services/report-agent-status.ts";
import { revokeToken } from "../../../src/api/services/revoke-token.ts";
import { hashSecret } from "../../../src/api/services/token-secret.ts";
import type { Database } from "../../../src/api/storage/database.ts";
import {
  commitMutation,
  listAudit,
  readStateVersion,
  StaleStateError,
} from "../../../src/api/storage/mutation.ts";
import { openNodeDatabase } from "../../../src/api/storage/node-sqlite.ts";
import { findRelayByName, insertRelay, listRelays } from "../../../src/api/storage/relays.ts";
import { DnsTcpConfig } from "../../../src/core/index.ts";

const admin: Caller = { type: "token", tokenId: "t-admin", scope: "admin" };
const operator: Caller = { type: "token", tokenId: "t-op", scope: "operator" };

describe("control API services on a real SQLite file", () => {
  let dir: string;
  let database: Database;
  let close: () => void;
  let changes: string[][];

  const ctx = (caller: Caller = admin): ServiceContext => ({
    database,
    caller,
    now: () => new Date(),
    changed: (kinds) => changes.push([...kinds]),
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "nat64-relay-services-"));
    ({ database, close } = await openNodeDatabase(join(dir, "nested", "api.db")));
    changes = [];
  });
  afterEach(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("checkHealth answers the database's state version, which every mutation advances", async () => {
    const before = await checkHealth({ ctx: ctx() });
    expect(before).toEqual({ ok: true, stateVersion: await readStateVersion(database) });
    await createRelay({ ctx: ctx(operator), input: { name: "edge" } });
    const after = await checkHealth({ ctx: { database } });
    expect(after.stateVersion).toBe(before.stateVersion + 1);
  });

  const settings = {
    prefix: "fd4e:2a91:7c3d:6464::/96",
    pool: "192.168.240.0/20",
    engine: "tayga" as const,
    fastPath: "auto" as const,
    upstreams: ["100.100.100.100"],
    allowFrom: ["100.64.0.0/10"],
    overlayInterface: "tailscale0",
    advertise: true,
    maxTtl: 300,
    cacheSize: 200_000,
    cacheBytes: 64 * 1024 * 1024,
    maxAddressesPerName: 64,
    upstreamTimeoutMs: 1500,
    queryLog: false,
    dnsTcp: DnsTcpConfig.parse({}),
  };

  it("rolls back the whole batch, audit and state version included, when one statement fails", async () => {
    const at = new Date().toISOString();
    const before = await readStateVersion(database);
    await expect(
      commitMutation(database, {
        readVersion: before,
        at,
        audit: { actor: "test", verb: "relay.create", input: {} },
        statements: (db, version) => [
          insertRelay(db, { id: "a", name: "one", settings, at }, version),
          insertRelay(db, { id: "b", name: "one", settings, at }, version), // duplicate name
        ],
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await listRelays(database)).toEqual([]);
    expect(await listAudit(database, 10)).toEqual([]);
    expect(await readStateVersion(database)).toBe(before);
  });

  it("refuses a write decided on a stale state version and writes nothing", async () => {
    const at = new Date().toISOString();
    await createRelay({ ctx: ctx(), input: { name: "edge" } });
    const auditBefore = (await listAudit(database, 100)).length;
    await expect(
      commitMutation(database, {
        readVersion: 0,
        at,
        audit: { actor: "test", verb: "relay.create", input: {} },
        statements: (db, version) => [
          insertRelay(db, { id: "x", name: "late", settings, at }, version),
        ],
      }),
    ).rejects.toBeInstanceOf(StaleStateError);
    expect(await findRelayByName(database, "late")).toBeUndefined();
    expect(await listAudit(database, 100)).toHaveLength(auditBefore);
  });

  it("concurrent overlapping split domains: exactly one lands, the other is a conflict", async () => {
    await createRelay({ ctx: ctx(), input: { name: "edge" } });
    const results = await Promise.allSettled([
      addSplitDomain({
        ctx: ctx(operator),
        input: { name: "r9929", realSuffix: "a.example", relay: "edge" },
      }),
      addSplitDomain({
        ctx: ctx(operator),
        input: { name: "x.r9929", realSuffix: "b.example", relay: "edge" },
      }),
    ]);
    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toMatchObject({ code: "conflict" });
  });

  it("creates a relay, its agent token and one audit record together, and announces the change", async () => {
    const { relay, agentToken } = await createRelay({
      ctx: ctx(operator),
      input: { name: "edge" },
    });
    expect(relay.name).toBe("edge");
    const caller = await authenticate({
      database,
      now: () => new Date(),
      input: { authorization: `Bearer ${agentToken}`, adminTokenHash: undefined },
    });
    expect(caller).toMatchObject({ type: "agent" });
    const audit = await listAudit(database, 10);
    expect(audit.map((a) => [a.verb, a.actor, a.outcome])).toEqual([
      ["relay.create", "token:t-op", "ok"],
    ]);
    expect(changes).toEqual([["config", "tailscale"]]);
  });

  it("agents may not manage relays and operators may not mint tokens", async () => {
    const { agentToken } = await createRelay({ ctx: ctx(), input: { name: "edge" } });
    const agent = await authenticate({
      database,
      now: () => new Date(),
      input: { authorization: `Bearer ${agentToken}`, adminTokenHash: undefined },
    });
    await expect(createRelay({ ctx: ctx(agent), input: { name: "x" } })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      revokeToken({ ctx: ctx(operator), input: { id: "whatever" } }),
    ).rejects.toMatchObject({
      code: "forbidden",
    });
  });

  it("audits a node's new identity but not a plain heartbeat", async () => {
    const { agentToken } = await createRelay({ ctx: ctx(), input: { name: "edge" } });
    const agent = await authenticate({
      database,
      now: () => new Date(),
      input: { authorization: `Bearer ${agentToken}`, adminTokenHash: undefined },
    });
    const body = {
      nodeId: "n1",
      hostname: "edge-1",
      addresses: ["100.64.0.1"],
      appliedRevision: 1,
    };
    await reportAgentStatus({ ctx: ctx(agent), input: body, reportIntervalSeconds: 30 });
    await reportAgentStatus({
      ctx: ctx(agent),
      input: { ...body, appliedRevision: 2 },
      reportIntervalSeconds: 30,
    });
    await reportAgentStatus({
      ctx: ctx(agent),
      input: { ...body, addresses: ["100.64.0.2"] },
      reportIntervalSeconds: 30,
    });
    const verbs = (await listAudit(database, 10)).map((a) => a.verb);
    expect(verbs.filter((v) => v === "agent.identity")).toHaveLength(2);
  });

  it("mints a bootstrap admin token on the first start only, and none when ADMIN_TOKEN is set", async () => {
    const system = ctx({ type: "system" });
    expect(
      await ensureBootstrapAdmin({ ctx: system, input: { adminTokenConfigured: true } }),
    ).toBeUndefined();
    const first = await ensureBootstrapAdmin({
      ctx: system,
      input: { adminTokenConfigured: false },
    });
    expect(first).toMatch(/^n64r_/);
    expect(
      await ensureBootstrapAdmin({ ctx: system, input: { adminTokenConfigured: false } }),
    ).toBeUndefined();
    const caller = await authenticate({
      database,
      now: () => new Date(),
      input: { authorization: `Bearer ${first}`, adminTokenHash: undefined },
    });
    expect(caller).toMatchObject({ type: "token", scope: "admin" });
  });

  it("accepts ADMIN_TOKEN by its hash and refuses revoked tokens", async () => {
    const adminTokenHash = await hashSecret("a-long-admin-token-value");
    const viaEnv = await authenticate({
      database,
      now: () => new Date(),
      input: { authorization: "Bearer a-long-admin-token-value", adminTokenHash },
    });
    expect(viaEnv).toMatchObject({ scope: "admin" });
    const secret = await ensureBootstrapAdmin({
      ctx: ctx({ type: "system" }),
      input: { adminTokenConfigured: false },
    });
    const id = secret?.split("_")[1] ?? "";
    await revokeToken({ ctx: ctx(), input: { id } });
    await expect(
      authenticate({
        database,
        now: () => new Date(),
        input: { authorization: `Bearer ${secret}`, adminTokenHash },
      }),
    ).rejects.toMatchObject({ code: "unauthenticated" });
  });
});
