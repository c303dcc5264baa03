// revokeToken: the token stops working at once; its row stays for the audit trail.
import { RelayError } from "../../core/errors.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import { findToken, revokeToken as revokeTokenRow } from "../storage/tokens.ts";
import {
  actorOf,
  auditRefusals,
  isoNow,
  requireScope,
  type ServiceContext,
  withFreshState,
} from "./context.ts";

async function revokeTokenUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: string };
}): Promise<void> {
  requireScope(ctx.caller, "admin");
  await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    const token = await findToken(ctx.database, input.id);
    if (!token) throw new RelayError("not_found", `no token with id "${input.id}"`);
    if (token.revokedAt) return;
    const at = isoNow(ctx);
    await commitMutation(ctx.database, {
      readVersion,
      at,
      audit: { actor: actorOf(ctx.caller), verb: "token.revoke", input: { id: token.id } },
      statements: (db) => [revokeTokenRow(db, token.id, at)],
    });
  });
}

export async function revokeToken(args: Parameters<typeof revokeTokenUnaudited>[0]) {
  return auditRefusals(args.ctx, "token.revoke", args.input, () => revokeTokenUnaudited(args));
}
