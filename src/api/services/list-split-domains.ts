// listSplitDomains: every split domain, by name.
import { listSplitDomains as listRecords } from "../storage/split-domains.ts";
import { requireScope, type ServiceContext } from "./context.ts";
import { type SplitDomainView, splitDomainView } from "./split-domain-view.ts";

export async function listSplitDomains({
  ctx,
}: {
  ctx: ServiceContext;
}): Promise<SplitDomainView[]> {
  requireScope(ctx.caller, "operator");
  return (await listRecords(ctx.database)).map(splitDomainView);
}
