// The layering rule of src/api: routes call service verbs and never touch storage themselves.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROUTES = join(import.meta.dirname, "../../../src/api/routes");

describe("control API layering", () => {
  it("no route file imports a storage module except for types", () => {
    const offenders = readdirSync(ROUTES)
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        readFileSync(join(ROUTES, file), "utf8")
          .split("\n")
          .filter((line) => /from "\.\.\/storage\//.test(line) && !/^import type /.test(line))
          .map((line) => `${file}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});
