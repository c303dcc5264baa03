// Writes docs/relay-config.schema.json from the zod schema (`npm run schema`).
import { writeFileSync } from "node:fs";
import { relayConfigJsonSchema } from "../src/core/config/relay-config-json-schema.ts";

const target = new URL("../docs/relay-config.schema.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(relayConfigJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
