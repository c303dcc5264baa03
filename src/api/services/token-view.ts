// How a token looks to API callers: never its secret or hash.
import { z } from "zod";
import type { TokenRecord } from "../storage/tokens.ts";

export const TokenScope = z.enum(["admin", "operator", "agent"]);
export type TokenScope = z.infer<typeof TokenScope>;

export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  scope: TokenScope,
  relay: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type TokenView = z.infer<typeof TokenView>;

export function tokenView(record: TokenRecord): TokenView {
  return {
    id: record.id,
    name: record.name,
    scope: record.scope,
    relay: record.relayName,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    revokedAt: record.revokedAt,
  };
}
