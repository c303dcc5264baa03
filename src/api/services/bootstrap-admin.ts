// ensureBootstrapAdmin: on the very first start (no token row at all, no ADMIN_TOKEN), mints
// one admin token and hands its secret back once for the entry to print.
import { countTokens } from "../storage/tokens.ts";
import type { ServiceContext } from "./context.ts";
import { createToken } from "./create-token.ts";

export async function ensureBootstrapAdmin({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { adminTokenConfigured: boolean };
}): Promise<string | undefined> {
  if (input.adminTokenConfigured) return undefined;
  if ((await countTokens(ctx.database)) > 0) return undefined;
  const { secret } = await createToken({
    ctx: { ...ctx, caller: { type: "system" } },
    input: { name: "bootstrap-admin", scope: "admin" },
  });
  return secret;
}
