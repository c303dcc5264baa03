// Schemas shared by several verbs. A schema and its type share one name.
import { z } from "zod";
import { RelaySettings } from "../../core/config/relay-config.ts";
import type { RelayRecord } from "../storage/relays.ts";

export const RelayName = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    "a relay name is 1 to 63 lower-case letters, digits or inner hyphens",
  )
  .describe("relay name, e.g. edge-fra");
export type RelayName = z.infer<typeof RelayName>;

/** If-Match value as sent: `"3"` (strong) or `W/"3"`; absent means unconditional. */
export const IfMatch = z.string().optional();
export type IfMatch = z.infer<typeof IfMatch>;

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Parses an If-Match header: "*" matches anything, otherwise one of the listed tags. */
export function ifMatchAccepts(ifMatch: string | undefined, version: number): boolean {
  if (ifMatch === undefined) return true;
  const tags = ifMatch.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
  return tags.some((tag) => tag === "*" || tag === etagOf(version));
}

export const RelayView = RelaySettings.safeExtend({
  name: RelayName,
  prefix: z.string(),
  etag: z.string().describe("the relay's ETag; send it as If-Match to PATCH or DELETE"),
  configRevision: z.number().int().describe("revision of the relay's agent config"),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type RelayView = z.infer<typeof RelayView>;

export function relayView(relay: RelayRecord): RelayView {
  return {
    name: relay.name,
    ...relay.settings,
    etag: etagOf(relay.version),
    configRevision: relay.configRevision,
    createdAt: relay.createdAt,
    updatedAt: relay.updatedAt,
  };
}
