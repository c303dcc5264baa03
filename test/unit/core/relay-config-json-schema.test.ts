import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { relayConfigJsonSchema } from "../../../src/core/config/relay-config-json-schema.ts";

describe("exported JSON Schema", () => {
  it("matches docs/relay-config.schema.json (run `npm run schema` after changing the schema)", () => {
    const published = JSON.parse(
      readFileSync(new URL("../../../docs/relay-config.schema.json", import.meta.url), "utf8"),
    );
    expect(published).toEqual(relayConfigJsonSchema());
  });

  it("documents every key of the standalone file and forbids unknown ones", () => {
    const schema = relayConfigJsonSchema() as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "listen",
        "upstreams",
        "allowFrom",
        "prefix",
        "pool",
        "overlayInterface",
        "egressInterfaces",
        "engine",
        "advertise",
        "splitDomains",
      ]),
    );
    expect(schema.additionalProperties).toBe(false);
  });
});
