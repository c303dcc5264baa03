// getSplitDomain: one split domain by name.
import { RelayError } from "../../core/errors.ts";
import { normalizeDnsName } from "../../core/validation/dns-name.ts";
import { findSplitDomain } from "../storage/split-domains.ts";
import { requireScope, type ServiceContext } from "./context.ts";
import { type SplitDomainView, splitDomainView } from "./split-domain-view.ts";

export async function getSplitDomain({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string };
}): Promise<SplitDomainView> {
  requireScope(ctx.caller, "operator");
  const record = await findSplitDomain(ctx.database, normalizeDnsName(input.name));
  if (!record) throw new RelayError("not_found", `no split domain named "${input.name}"`);
  return splitDomainView(record);
}
