// deleteRelay: removes a relay with no split domains left; its agent tokens go with it.
import { RelayError } from "../../core/errors.ts";
import { deleteRelay as deleteRelayRow, listRelayNodes } from "../storage/relays.ts";
import { countSplitDomainsOfRelay } from "../storage/split-domains.ts";
import { insertCleanup } from "../storage/tailscale-state.ts";
import { changeExisting } from "./change-existing.ts";
import type { ServiceContext } from "./context.ts";
import { existingRelay } from "./existing-relay.ts";

export async function deleteRelay({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string; ifMatch?: string | undefined };
}): Promise<void> {
  await changeExisting(ctx, {
    verb: "relay.delete",
    scope: "operator",
    input,
    ...existingRelay(ctx, input),
    decide: async (relay, _parsed, at) => {
      const domains = await countSplitDomainsOfRelay(ctx.database, relay.id);
      if (domains > 0) {
        throw new RelayError(
          "conflict",
          `relay "${relay.name}" still serves ${domains} split domain(s); delete them first`,
        );
      }
      const nodes = await listRelayNodes(ctx.database, relay.id);
      return {
        audit: { name: relay.name },
        statements: (db) => [
          // Its prefix's approvals are ours to take back.
          ...nodes.map((node) =>
            insertCleanup(db, {
              kind: "route",
              target: relay.settings.prefix,
              nodeId: node.nodeId,
              at,
            }),
          ),
          deleteRelayRow(db, relay.id),
        ],
      };
    },
    changed: ["config", "tailscale"],
  });
}
