import { describe, expect, it } from "vitest";
import { qtypeName, rcodeName } from "../../../src/relay-agent/dns/presentation.ts";

describe("query log names", () => {
  it("names query types as dig does, TYPE<n> (RFC 3597) for the rest", () => {
    expect([1, 28, 65, 64, 255, 252, 12, 4242].map(qtypeName)).toEqual([
      "A",
      "AAAA",
      "HTTPS",
      "SVCB",
      "ANY",
      "AXFR",
      "PTR",
      "TYPE4242",
    ]);
  });

  it("names response codes, the extended BADVERS included", () => {
    expect([0, 2, 3, 5, 16, 23].map(rcodeName)).toEqual([
      "NOERROR",
      "SERVFAIL",
      "NXDOMAIN",
      "REFUSED",
      "BADVERS",
      "RCODE23",
    ]);
  });
});
