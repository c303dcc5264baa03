// `nat64-relay api` and `bot` take no arguments: help, a mistake in one line (exit 2), or run.
import { afterEach, describe, expect, it, vi } from "vitest";
import { helpOrRun } from "../../../src/cli-args.ts";

const HELP = "Usage: nat64-relay api";

describe("helpOrRun", () => {
  afterEach(() => vi.restoreAllMocks());

  it("runs when there are no arguments, and prints nothing", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(helpOrRun("nat64-relay api", [], HELP)).toBeUndefined();
    expect([log.mock.calls, error.mock.calls]).toEqual([[], []]);
  });

  it("--help and -h print the help and exit 0", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(helpOrRun("nat64-relay api", ["--help"], HELP)).toBe(0);
    expect(helpOrRun("nat64-relay api", ["-h"], HELP)).toBe(0);
    expect(log.mock.calls).toEqual([[HELP], [HELP]]);
  });

  it("a stray word or a misspelt option: one line naming it, then the help, exit 2", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(helpOrRun("nat64-relay bot", ["now"], HELP)).toBe(2);
    expect(helpOrRun("nat64-relay api", ["--hlep"], HELP)).toBe(2);
    expect(error.mock.calls).toEqual([
      [`nat64-relay bot: unexpected argument "now"\n\n${HELP}`],
      [`nat64-relay api: unknown option --hlep (did you mean --help?)\n\n${HELP}`],
    ]);
  });
});
