import { describe, expect, it } from "vitest";
import { etagOf, ifMatchAccepts } from "../../../src/api/services/schemas.ts";

describe("If-Match", () => {
  it("accepts no header, *, the current tag, and its weak form", () => {
    expect(ifMatchAccepts(undefined, 3)).toBe(true);
    expect(ifMatchAccepts("*", 3)).toBe(true);
    expect(ifMatchAccepts(etagOf(3), 3)).toBe(true);
    expect(ifMatchAccepts('W/"3"', 3)).toBe(true);
    expect(ifMatchAccepts('"1", "3"', 3)).toBe(true);
  });

  it("refuses any other tag", () => {
    expect(ifMatchAccepts('"2"', 3)).toBe(false);
    expect(ifMatchAccepts("3", 3)).toBe(false);
  });
});
