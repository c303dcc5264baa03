// Every argument mistake comes back as one line that says which option and what is wrong.
import { describe, expect, it } from "vitest";
import { parseStrict } from "../../../src/cli-args.ts";

const OPTIONS = {
  client: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const problem = (args: string[]) => {
  const parsed = parseStrict(args, OPTIONS, false);
  return parsed.ok ? undefined : parsed.problem;
};

describe("parseStrict", () => {
  it("a value missing at the end, or before the next option, is a missing value", () => {
    expect([problem(["--client"]), problem(["--client", "--help"])]).toEqual([
      "option --client needs a value",
      "option --client needs a value",
    ]);
  });

  it("a value given to a flag that takes none, a misspelt option, a stray word", () => {
    expect([problem(["--json=1"]), problem(["--jsno"]), problem(["now"])]).toEqual([
      "option --json takes no value",
      "unknown option --jsno (did you mean --json?)",
      'unexpected argument "now"',
    ]);
  });

  it("a value that starts with a dash is accepted when written with =", () => {
    expect(parseStrict(["--client=-x.r9929"], OPTIONS, false)).toEqual({
      ok: true,
      values: { client: "-x.r9929" },
      positionals: [],
    });
  });
});
