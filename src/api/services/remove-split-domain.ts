// removeSplitDomain: stops answering for a split domain and takes its split DNS entry back.
import { normalizeDnsName } from "../../core/validation/dns-name.ts";
import { touchRelayConfig } from "../storage/relays.ts";
import { deleteSplitDomain, findSplitDomain } from "../storage/split-domains.ts";
import { insertCleanup } from "../storage/tailscale-state.ts";
import { changeExisting } from "./change-existing.ts";
import type { ServiceContext } from "./context.ts";

export async function removeSplitDomain({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string; ifMatch?: string | undefined };
}): Promise<void> {
  const name = normalizeDnsName(input.name);
  await changeExisting(ctx, {
    verb: "split_domain.remove",
    scope: "operator",
    input,
    find: (database) => findSplitDomain(database, name),
    notFound: `no split domain named "${input.name}"`,
    ifMatch: {
      sent: input.ifMatch,
      versionOf: (record) => record.version,
      label: `split domain "${name}"`,
    },
    decide: async (record, _parsed, at) => ({
      audit: { name },
      statements: (db, version) => [
        deleteSplitDomain(db, name),
        touchRelayConfig(db, record.relayId, version),
        insertCleanup(db, { kind: "split_dns", target: name, at }),
      ],
    }),
    changed: ["config", "tailscale"],
  });
}
