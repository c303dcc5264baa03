// revokeToken: the token stops working at once; its row stays for the audit trail. Revoking a
// revoked token changes nothing and succeeds.
import { findToken, revokeToken as revokeTokenRow } from "../storage/tokens.ts";
import { changeExisting } from "./change-existing.ts";
import type { ServiceContext } from "./context.ts";

export async function revokeToken({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: string };
}): Promise<void> {
  await changeExisting(ctx, {
    verb: "token.revoke",
    scope: "admin",
    input,
    find: (database) => findToken(database, input.id),
    notFound: `no token with id "${input.id}"`,
    decide: async (token, _parsed, at) =>
      token.revokedAt
        ? undefined
        : { audit: { id: token.id }, statements: (db) => [revokeTokenRow(db, token.id, at)] },
  });
}
