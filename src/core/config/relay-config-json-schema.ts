// The JSON Schema of the config file, as users write it (zod "input" side: defaults optional).
import { z } from "zod";
import { RelayConfig } from "./relay-config.ts";

export function relayConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RelayConfig, { io: "input", unrepresentable: "any" }),
    $id: "https://nat64-relay.dev/schemas/relay-config.schema.json",
    title: "nat64-relay relay configuration",
    description:
      "The agent's standalone config file (YAML or JSON) and the API's managed config: one schema. Prefix, pool and split-domain rules beyond these shapes are checked by the agent (`nat64-relay agent check-config`).",
  };
}
