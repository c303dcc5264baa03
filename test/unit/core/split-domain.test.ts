import { describe, expect, it } from "vitest";
import { checkSplitDomain } from "../../../src/core/validation/split-domain.ts";

const REAL = "tail1234.ts.net";

function problems(
  name: string,
  realSuffix = REAL,
  others: { name: string; realSuffix: string }[] = [],
) {
  return checkSplitDomain({ name, realSuffix }, others).problems.map((p) => p.message);
}

describe("split domain validation", () => {
  it("normalizes to lower case without the trailing dot", () => {
    const check = checkSplitDomain({ name: "R9929.", realSuffix: "Tail1234.TS.net." });
    expect(check.normalized).toEqual({ name: "r9929", realSuffix: "tail1234.ts.net" });
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([]);
  });

  it("refuses labels that are not LDH", () => {
    expect(problems("bad_label")).toEqual([
      'label "bad_label" may only hold letters, digits and inner hyphens (LDH, RFC 1123 §2.1)',
    ]);
    expect(problems("-x")).toHaveLength(1);
    expect(problems("a..b")).toEqual(['"a..b" has an empty label (two dots in a row?)']);
    expect(problems("a".repeat(64))[0]).toContain("is longer than 63 characters");
  });

  it("refuses a split domain equal to its real suffix", () => {
    expect(problems(REAL)[0]).toContain(`split domain "${REAL}" equals its real suffix`);
  });

  it("refuses a split domain inside, or containing, its real suffix", () => {
    expect(problems(`r9929.${REAL}`)[0]).toContain("nest inside each other");
    expect(problems("tail1234.ts.net", `x.${REAL}`)[0]).toContain("nest inside each other");
  });

  it("refuses a public suffix, found with the public suffix list", () => {
    expect(problems("co.uk", REAL)).toEqual([
      '"co.uk" is a public suffix: split DNS would capture every name under it; pick a private suffix such as r9929',
    ]);
    expect(problems("github.io", REAL)[0]).toContain("is a public suffix");
  });

  it("refuses a split domain that equals or overlaps another one", () => {
    const others = [{ name: "r9929", realSuffix: REAL }];
    expect(problems("r9929", REAL, others)).toEqual(['split domain "r9929" already exists']);
    expect(problems("a.r9929", REAL, others)[0]).toContain(
      'overlaps existing split domain "r9929": one would shadow the other',
    );
  });

  it("refuses a split domain overlapping another mapping's real suffix", () => {
    const others = [{ name: "r9929", realSuffix: "corp.example" }];
    expect(problems("x.corp.example", REAL, others)[0]).toContain(
      'overlaps real suffix "corp.example" of split domain "r9929"',
    );
  });

  it("warns, without refusing, about an all-digit last label and suggests r9929", () => {
    const check = checkSplitDomain({ name: "9929", realSuffix: REAL });
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([
      {
        code: "numeric_last_label",
        message: expect.stringContaining('consider "r9929" or "via9929"'),
      },
    ]);
    expect(check.warnings[0]?.message).toContain('browsers and fetch("http://host.9929/") reject');
  });
});

describe("split domain loops", () => {
  it("refuses a real suffix inside another split domain: lookups would loop through the relay", () => {
    const check = checkSplitDomain({ name: "x", realSuffix: "foo.r9929" }, [
      { name: "r9929", realSuffix: REAL },
    ]);
    expect(check.problems).toEqual([
      {
        field: "realSuffix",
        message: expect.stringContaining(
          'real suffix "foo.r9929" overlaps split domain "r9929": lookups of the real names would go through the relay again',
        ),
      },
    ]);
  });
});

describe("special-use names and IP literals", () => {
  it.each(["localhost", "local", "invalid", "x.local", "a.b.localhost"])(
    "refuses %s as a split domain (RFC 6761, RFC 6762)",
    (name) => {
      const zone = name.split(".").at(-1);
      expect(problems(name)).toEqual([expect.stringContaining(`special-use name "${zone}"`)]);
    },
  );

  it.each(["localhost", "corp.local", "invalid"])("refuses %s as a real suffix", (suffix) => {
    const check = checkSplitDomain({ name: "r9929", realSuffix: suffix });
    expect(check.problems.map((problem) => problem.field)).toEqual(["realSuffix"]);
    expect(check.problems[0]!.message).toContain("special-use name");
  });

  it("refuses an IPv4 literal as a real suffix or as a split domain", () => {
    const suffix = checkSplitDomain({ name: "r9929", realSuffix: "100.64.1.2" });
    expect(suffix.problems).toEqual([
      {
        field: "realSuffix",
        message:
          'real suffix "100.64.1.2" is an IPv4 address, not a domain: give the suffix of the real host names, e.g. tail1234.ts.net',
      },
    ]);
    expect(checkSplitDomain({ name: "10.1.2.3", realSuffix: REAL }).problems).toEqual([
      {
        field: "name",
        message:
          'split domain "10.1.2.3" is an IPv4 address, not a domain: pick a suffix such as r9929',
      },
    ]);
  });

  it("refuses a real suffix whose last label is all digits, but only warns for a split domain", () => {
    const check = checkSplitDomain({ name: "r9929", realSuffix: "corp.42" });
    expect(check.problems.map((problem) => problem.field)).toEqual(["realSuffix"]);
    expect(check.problems[0]!.message).toContain('ends in the all-digit label "42"');
    const numeric = checkSplitDomain({ name: "9929", realSuffix: REAL });
    expect(numeric.problems).toEqual([]);
    expect(numeric.warnings.map((warning) => warning.code)).toEqual(["numeric_last_label"]);
  });
});
