// createRelay: stores a relay and mints its agent token (shown once).
import { z } from "zod";
import { RelaySettings, RelaySettingsInput } from "../../core/config/relay-config.ts";
import { RelayError } from "../../core/errors.ts";
import { cidrsOverlap, parseCidr } from "../../core/ip.ts";
import { ulaPrefixFromGlobalId } from "../../core/validation/nat64-prefix.ts";
import { commitMutation, isUniqueViolation, readStateVersion } from "../storage/mutation.ts";
import {
  findRelayByName,
  insertRelay,
  listRelays,
  type StoredRelaySettings,
} from "../storage/relays.ts";
import { insertToken } from "../storage/tokens.ts";
import {
  actorOf,
  auditRefusals,
  isoNow,
  requireScope,
  type ServiceContext,
  withFreshState,
} from "./context.ts";
import { parseInput } from "./parse.ts";
import { RelayName, RelayView, relayView } from "./schemas.ts";
import { hashSecret, newTokenId, newTokenSecret } from "./token-secret.ts";

/** The body as documented: every key of the standalone config file but splitDomains, plus name. */
export const CreateRelayInput = RelaySettings.safeExtend({ name: RelayName });
export type CreateRelayInput = z.input<typeof CreateRelayInput>;

/** The same, with the cross-field rules (prefix vs engine, pool) of the config file. */
const CreateRelayChecked = RelaySettingsInput.safeExtend({ name: RelayName });

export const CreateRelayOutput = z.object({
  relay: RelayView,
  agentToken: z
    .string()
    .describe("the relay agent's token; shown once, store it in the agent's environment"),
});
export type CreateRelayOutput = z.infer<typeof CreateRelayOutput>;

function generatedPrefix(): string {
  return ulaPrefixFromGlobalId(crypto.getRandomValues(new Uint8Array(5)));
}

/** Two relays must not claim overlapping prefixes: route approval would mix them up. */
export function prefixClash(
  prefix: string,
  others: readonly { name: string; settings: StoredRelaySettings }[],
): string | undefined {
  const mine = parseCidr(prefix);
  if (!mine.ok) return undefined;
  for (const other of others) {
    const theirs = parseCidr(other.settings.prefix);
    if (theirs.ok && cidrsOverlap(mine.cidr, theirs.cidr)) {
      return `prefix ${prefix} overlaps ${other.settings.prefix} of relay "${other.name}"`;
    }
  }
  return undefined;
}

async function createRelayUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
}): Promise<CreateRelayOutput> {
  requireScope(ctx.caller, "operator");
  const { name, ...parsed } = parseInput(CreateRelayChecked, input);
  const settings: StoredRelaySettings = { ...parsed, prefix: parsed.prefix ?? generatedPrefix() };
  const agentTokenId = newTokenId();
  const agentToken = newTokenSecret(agentTokenId);
  const secretHash = await hashSecret(agentToken);

  const relay = await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    if (await findRelayByName(ctx.database, name)) {
      throw new RelayError("conflict", `relay "${name}" already exists`, [
        { path: "name", message: "already exists" },
      ]);
    }
    const clash = prefixClash(settings.prefix, await listRelays(ctx.database));
    if (clash) throw new RelayError("conflict", clash, [{ path: "prefix", message: clash }]);
    const id = crypto.randomUUID();
    const at = isoNow(ctx);
    try {
      await commitMutation(ctx.database, {
        readVersion,
        at,
        audit: { actor: actorOf(ctx.caller), verb: "relay.create", input: { name, ...settings } },
        statements: (db, version) => [
          insertRelay(db, { id, name, settings, at }, version),
          insertToken(db, {
            id: agentTokenId,
            name: `agent:${name}`,
            scope: "agent",
            relayId: id,
            secretHash,
            createdBy: actorOf(ctx.caller),
            createdAt: at,
          }),
        ],
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new RelayError("conflict", `relay "${name}" already exists`);
      throw error;
    }
    const created = await findRelayByName(ctx.database, name);
    if (!created) throw new Error(`relay ${name} vanished after insert`);
    return created;
  });
  ctx.changed(["config", "tailscale"]);
  return { relay: relayView(relay), agentToken };
}

export async function createRelay(args: Parameters<typeof createRelayUnaudited>[0]) {
  return auditRefusals(args.ctx, "relay.create", args.input, () => createRelayUnaudited(args));
}
