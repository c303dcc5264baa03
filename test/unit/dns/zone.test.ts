import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { nameToKey, newParsedQuery, parseQuery } from "../../../src/relay-agent/dns/wire.ts";
import { SplitZones } from "../../../src/relay-agent/dns/zone.ts";

const zones = new SplitZones([
  { name: "r9929", realSuffix: "tail1234.ts.net" },
  { name: "lab.via9929", realSuffix: "lab.example.org" },
  { name: "via9929", realSuffix: "corp.example.org" },
]);

function match(name: string) {
  const parsed = newParsedQuery();
  parseQuery(
    dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "AAAA", name }] }),
    parsed,
  );
  return zones.match(parsed.key, parsed.labelStarts, parsed.labelCount);
}

describe("split zone matching", () => {
  it("maps host.<split> to host.<realSuffix>, whatever the letter case", () => {
    const found = match("My-VPS.R9929");
    expect(found?.zone.name).toBe("r9929");
    expect(found?.realKey).toBe(nameToKey("my-vps.tail1234.ts.net"));
    expect(found?.apexOffset).toBe("\x06my-vps".length);
  });

  it("maps the apex itself to the real suffix", () => {
    const found = match("r9929");
    expect(found?.apexOffset).toBe(0);
    expect(found?.realKey).toBe(nameToKey("tail1234.ts.net"));
  });

  it("keeps deeper labels: a.b.<split> → a.b.<realSuffix>", () => {
    expect(match("a.b.r9929")?.realKey).toBe(nameToKey("a.b.tail1234.ts.net"));
  });

  it("prefers the deepest split zone when zones nest", () => {
    expect(match("host.lab.via9929")?.realKey).toBe(nameToKey("host.lab.example.org"));
    expect(match("host.via9929")?.realKey).toBe(nameToKey("host.corp.example.org"));
  });

  it("matches only on label boundaries and refuses everything else", () => {
    expect(match("xr9929")).toBeUndefined();
    expect(match("host.xr9929")).toBeUndefined();
    expect(match("r9929.example")).toBeUndefined();
    expect(match("host.tail1234.ts.net")).toBeUndefined();
    expect(match(".")).toBeUndefined();
  });
});
