// Turns an `Authorization: Bearer` value into a Caller, or refuses.
import { RelayError } from "../../core/errors.ts";
import type { Database } from "../storage/database.ts";
import { findToken, markTokenUsed } from "../storage/tokens.ts";
import type { Caller } from "./context.ts";
import { constantTimeEqual, hashSecret, tokenIdOf } from "./token-secret.ts";

/** last_used_at is refreshed at most this often, so hot paths do not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AuthenticateInput {
  readonly authorization: string | undefined;
  /** SHA-256 of ADMIN_TOKEN when configured. */
  readonly adminTokenHash: string | undefined;
}

const MISSING = "send Authorization: Bearer <token>";

export async function authenticate({
  database,
  now,
  input,
}: {
  database: Database;
  now: () => Date;
  input: AuthenticateInput;
}): Promise<Caller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(input.authorization ?? "");
  if (!match?.[1]) throw new RelayError("unauthenticated", MISSING);
  const secret = match[1];
  const hash = await hashSecret(secret);
  if (input.adminTokenHash && constantTimeEqual(hash, input.adminTokenHash)) {
    return { type: "token", tokenId: "env:ADMIN_TOKEN", scope: "admin" };
  }
  const id = tokenIdOf(secret);
  const token = id ? await findToken(database, id) : undefined;
  // Compare even when no row matched, so timing does not tell a known id from an unknown one.
  const matches = constantTimeEqual(hash, token?.secretHash ?? "0".repeat(64));
  if (!token || !matches || token.revokedAt) {
    throw new RelayError("unauthenticated", "unknown or revoked token");
  }
  const at = now();
  if (!token.lastUsedAt || at.getTime() - Date.parse(token.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
    await markTokenUsed(database, token.id, at.toISOString());
  }
  if (token.scope === "agent") {
    if (!token.relayId) throw new RelayError("unauthenticated", "agent token without a relay");
    return { type: "agent", tokenId: token.id, relayId: token.relayId };
  }
  return { type: "token", tokenId: token.id, scope: token.scope };
}
