// removeSplitDomain: stops answering for a split domain and takes its split DNS entry back.
import { RelayError } from "../../core/errors.ts";
import { normalizeDnsName } from "../../core/validation/dns-name.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import { touchRelayConfig } from "../storage/relays.ts";
import { deleteSplitDomain, findSplitDomain } from "../storage/split-domains.ts";
import { insertCleanup } from "../storage/tailscale-state.ts";
import {
  actorOf,
  auditRefusals,
  isoNow,
  requireScope,
  type ServiceContext,
  withFreshState,
} from "./context.ts";
import { ifMatchAccepts } from "./schemas.ts";

async function removeSplitDomainUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string; ifMatch?: string | undefined };
}): Promise<void> {
  requireScope(ctx.caller, "operator");
  const name = normalizeDnsName(input.name);
  await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    const record = await findSplitDomain(ctx.database, name);
    if (!record) throw new RelayError("not_found", `no split domain named "${input.name}"`);
    if (!ifMatchAccepts(input.ifMatch, record.version)) {
      throw new RelayError(
        "precondition_failed",
        `split domain "${name}" changed: If-Match ${input.ifMatch} but its ETag is "${record.version}"`,
      );
    }
    const at = isoNow(ctx);
    await commitMutation(ctx.database, {
      readVersion,
      at,
      audit: { actor: actorOf(ctx.caller), verb: "split_domain.remove", input: { name } },
      statements: (db, version) => [
        deleteSplitDomain(db, name),
        touchRelayConfig(db, record.relayId, version),
        insertCleanup(db, { kind: "split_dns", target: name, at }),
      ],
    });
  });
  ctx.changed(["config", "tailscale"]);
}

export async function removeSplitDomain(args: Parameters<typeof removeSplitDomainUnaudited>[0]) {
  return auditRefusals(args.ctx, "split_domain.remove", args.input, () =>
    removeSplitDomainUnaudited(args),
  );
}
