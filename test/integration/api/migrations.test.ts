// The SQL files in migrations/, applied one by one as the Node migrator does.
import { readdirSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../../../src/api/storage/node-sqlite.ts";

function statementsOf(file: string): string[] {
  return readFileSync(`${MIGRATIONS_FOLDER}/${file}`, "utf8")
    .split("--> statement-breakpoint")
    .map((statement) => statement.trim())
    .filter(Boolean);
}

describe("migrations", () => {
  const files = readdirSync(MIGRATIONS_FOLDER)
    .filter((file) => file.endsWith(".sql"))
    .sort();

  it("are numbered files wrangler applies in order", () => {
    expect(files[0]).toBe("0000_init.sql");
    for (const [index, file] of files.entries()) {
      expect(file).toMatch(new RegExp(`^${String(index).padStart(4, "0")}_[a-z0-9_]+\\.sql$`));
    }
  });

  it("backfill the reversed labels of split domains written before 0002", () => {
    const db = new DatabaseSync(":memory:");
    const [init, seed, reversed] = files;
    for (const file of [init, seed])
      for (const statement of statementsOf(file ?? "")) db.exec(statement);
    db.exec(
      "INSERT INTO relays VALUES ('r1', 'edge', 'fd00::/96', '192.168.240.0/20', 'tayga', '{}', 1, 1, 't', 't')",
    );
    db.exec(
      "INSERT INTO split_domains VALUES ('a.r9929', 'tail1234.ts.net', 'r1', 'x', 1, 't'), ('via7', 'example.org', 'r1', 'x', 1, 't')",
    );
    for (const statement of statementsOf(reversed ?? "")) db.exec(statement);
    const rows = db
      .prepare("SELECT name, reversed_name, reversed_real_suffix FROM split_domains ORDER BY name")
      .all();
    expect(rows.map((row) => ({ ...row }))).toEqual([
      { name: "a.r9929", reversed_name: "r9929.a", reversed_real_suffix: "net.ts.tail1234" },
      { name: "via7", reversed_name: "via7", reversed_real_suffix: "org.example" },
    ]);
  });
});
