import { describe, expect, it } from "vitest";
import { commandWords } from "../../../src/bot/dispatch.ts";

describe("command words", () => {
  it("splits on any whitespace and unwraps names Slack turned into links", () => {
    expect(commandWords("  add-domain\tr9929   real.test ")).toEqual([
      "add-domain",
      "r9929",
      "real.test",
    ]);
    expect(commandWords("add-domain r9929 <http://real.test|real.test> edge")).toEqual([
      "add-domain",
      "r9929",
      "real.test",
      "edge",
    ]);
    expect(commandWords("check <http://my-vps.r9929>")).toEqual(["check", "my-vps.r9929"]);
    expect(commandWords("")).toEqual([]);
  });
});
