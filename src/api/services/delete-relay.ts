// deleteRelay: removes a relay with no split domains left; its agent tokens go with it.
import { RelayError } from "../../core/errors.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import {
  deleteRelay as deleteRelayRow,
  findRelayByName,
  listRelayNodes,
} from "../storage/relays.ts";
import { countSplitDomainsOfRelay } from "../storage/split-domains.ts";
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

async function deleteRelayUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string; ifMatch?: string | undefined };
}): Promise<void> {
  requireScope(ctx.caller, "operator");
  await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    const relay = await findRelayByName(ctx.database, input.name);
    if (!relay) throw new RelayError("not_found", `no relay named "${input.name}"`);
    if (!ifMatchAccepts(input.ifMatch, relay.version)) {
      throw new RelayError(
        "precondition_failed",
        `relay "${input.name}" changed: If-Match ${input.ifMatch} but its ETag is "${relay.version}"`,
      );
    }
    const domains = await countSplitDomainsOfRelay(ctx.database, relay.id);
    if (domains > 0) {
      throw new RelayError(
        "conflict",
        `relay "${relay.name}" still serves ${domains} split domain(s); delete them first`,
      );
    }
    const nodes = await listRelayNodes(ctx.database, relay.id);
    const at = isoNow(ctx);
    await commitMutation(ctx.database, {
      readVersion,
      at,
      audit: { actor: actorOf(ctx.caller), verb: "relay.delete", input: { name: relay.name } },
      statements: (db) => [
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
    });
  });
  ctx.changed(["config", "tailscale"]);
}

export async function deleteRelay(args: Parameters<typeof deleteRelayUnaudited>[0]) {
  return auditRefusals(args.ctx, "relay.delete", args.input, () => deleteRelayUnaudited(args));
}
