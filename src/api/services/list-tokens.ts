// listTokens: every token, revoked ones included, without secrets.
import { listTokens as listRecords } from "../storage/tokens.ts";
import { requireScope, type ServiceContext } from "./context.ts";
import { type TokenView, tokenView } from "./token-view.ts";

export async function listTokens({ ctx }: { ctx: ServiceContext }): Promise<TokenView[]> {
  requireScope(ctx.caller, "admin");
  return (await listRecords(ctx.database)).map(tokenView);
}
