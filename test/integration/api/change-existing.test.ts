// changeExisting: the shared read-version / find / If-Match / commit / audit-refusal steps of
// the verbs that change one existing row, against a real SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { changeExisting } from "../../../src/api/services/change-existing.ts";
import type { Caller, ServiceContext } from "../../../src/api/services/context.ts";
import { createRelay } from "../../../src/api/services/create-relay.ts";
import { parseInput } from "../../../src/api/services/parse.ts";
import type { Database } from "../../../src/api/storage/database.ts";
import { listAudit, readStateVersion } from "../../../src/api/storage/mutation.ts";
import { openNodeDatabase } from "../../../src/api/storage/node-sqlite.ts";
import { findRelayByName, touchRelayConfig } from "../../../src/api/storage/relays.ts";

const operator: Caller = { type: "token", tokenId: "t-op", scope: "operator" };
const agent: Caller = { type: "agent", tokenId: "t-agent", relayId: "r1" };

describe("changeExisting", () => {
  let dir: string;
  let database: Database;
  let close: () => void;
  let announced: string[][];

  const ctx = (caller: Caller = operator): ServiceContext => ({
    database,
    caller,
    now: () => new Date(),
    changed: (kinds) => announced.push([...kinds]),
  });

  /** Touches relay `name`'s config revision; `decide` can be swapped per test. */
  const touch = (
    name: string,
    options: { ifMatch?: string; caller?: Caller; skip?: boolean; body?: unknown } = {},
  ) =>
    changeExisting(ctx(options.caller), {
      verb: "relay.touch",
      scope: "operator",
      input: { name },
      parse: () => parseInput(z.strictObject({}), options.body ?? {}),
      find: (db) => findRelayByName(db, name),
      notFound: `no relay named "${name}"`,
      ifMatch: {
        sent: options.ifMatch,
        versionOf: (relay) => relay.version,
        label: `relay "${name}"`,
      },
      decide: async (relay) =>
        options.skip
          ? undefined
          : {
              audit: { name: relay.name },
              statements: (db, version) => [touchRelayConfig(db, relay.id, version)],
            },
      changed: ["config"],
      answer: async (relay) => (await findRelayByName(database, relay.name))?.configRevision,
    });

  const verbsAndOutcomes = async () =>
    (await listAudit(database, 100))
      .filter((record) => record.verb === "relay.touch")
      .map((record) => [record.verb, record.outcome]);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "nat64-relay-change-existing-"));
    ({ database, close } = await openNodeDatabase(join(dir, "api.db")));
    announced = [];
    await createRelay({ ctx: ctx(), input: { name: "edge" } });
    announced = [];
  });
  afterEach(() => {
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits the decided write with its audit record, answers from fresh state, and announces it", async () => {
    const before = await readStateVersion(database);
    const revision = await touch("edge", { ifMatch: '"1"' });
    expect(revision).toBe(before + 1);
    expect(await readStateVersion(database)).toBe(before + 1);
    expect(await verbsAndOutcomes()).toEqual([["relay.touch", "ok"]]);
    expect(announced).toEqual([["config"]]);
  });

  it("answers not_found and 412 with the row's name, auditing each refusal, writing nothing", async () => {
    const before = await readStateVersion(database);
    await expect(touch("gone")).rejects.toMatchObject({
      code: "not_found",
      message: 'no relay named "gone"',
    });
    await expect(touch("edge", { ifMatch: '"7"' })).rejects.toMatchObject({
      code: "precondition_failed",
      message: 'relay "edge" changed: If-Match "7" but its ETag is "1"; GET it again',
    });
    expect(await readStateVersion(database)).toBe(before);
    expect(await verbsAndOutcomes()).toEqual([
      ["relay.touch", "precondition_failed"],
      ["relay.touch", "not_found"],
    ]);
    expect(announced).toEqual([]);
  });

  it("writes, audits and announces nothing when the verb decides there is nothing to change", async () => {
    const before = await readStateVersion(database);
    await touch("edge", { skip: true });
    expect(await readStateVersion(database)).toBe(before);
    expect(await verbsAndOutcomes()).toEqual([]);
    expect(announced).toEqual([]);
  });

  it("checks the scope before the input, and the input before looking the row up", async () => {
    await expect(touch("gone", { caller: agent, body: { bad: 1 } })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(touch("gone", { body: { bad: 1 } })).rejects.toMatchObject({
      code: "invalid_input",
    });
    // Forbidden is a refusal worth auditing; bad input never reached the rules.
    expect(await verbsAndOutcomes()).toEqual([["relay.touch", "forbidden"]]);
  });
});
