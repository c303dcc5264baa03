import { describe, expect, it } from "vitest";
import { jsonTextDepth, jsonValueDepth } from "../../../src/core/validation/json-bounds.ts";

describe("jsonTextDepth", () => {
  it("counts the deepest nesting of arrays and objects, skipping brackets inside strings", () => {
    expect(jsonTextDepth("1")).toBe(0);
    expect(jsonTextDepth("{}")).toBe(1);
    expect(jsonTextDepth('{"a":[1,{"b":[]}],"c":{}}')).toBe(4);
    expect(jsonTextDepth('{"a":"[[[[{{{{\\"]]]"}')).toBe(1);
  });

  it("scans 100k levels without recursion", () => {
    expect(jsonTextDepth(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBe(100_000);
  });
});

describe("jsonValueDepth", () => {
  it("measures parsed values level by level", () => {
    expect(jsonValueDepth(null)).toBe(0);
    expect(jsonValueDepth("x")).toBe(0);
    expect(jsonValueDepth({})).toBe(1);
    expect(jsonValueDepth({ a: [1, { b: [] }], c: {} })).toBe(4);
  });

  it("measures a value nested 100k deep without recursion", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`) as unknown;
    expect(jsonValueDepth(deep)).toBe(100_000);
  });
});
