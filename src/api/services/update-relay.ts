// updateRelay: changes some settings of a relay (If-Match guarded); the agent sees a new revision.
import { z } from "zod";
import { RelaySettings, RelaySettingsInput } from "../../core/config/relay-config.ts";
import { RelayError } from "../../core/errors.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import {
  findRelayByName,
  listRelayNodes,
  listRelays,
  type StoredRelaySettings,
  updateRelaySettings,
} from "../storage/relays.ts";
import { insertCleanup } from "../storage/tailscale-state.ts";
import {
  actorOf,
  auditRefusals,
  isoNow,
  requireScope,
  type ServiceContext,
  withFreshState,
} from "./context.ts";
import { prefixClash } from "./create-relay.ts";
import { parseInput } from "./parse.ts";
import { ifMatchAccepts, type RelayView, relayView } from "./schemas.ts";

type Shape = typeof RelaySettings.shape;

/**
 * Every settings key optional and without its default: absent keys keep their stored value;
 * `null` resets a key (optional keys are removed, the others go back to their default). The
 * prefix cannot be reset: route approvals hang on it; send a new one instead.
 */
function withoutDefaults(shape: Shape) {
  const keys = Object.keys(shape) as (keyof Shape)[];
  return Object.fromEntries(
    keys.map((key) => {
      const field: z.ZodType = shape[key];
      const bare = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field;
      return [key, key === "prefix" ? bare.optional() : bare.nullable().optional()];
    }),
  ) as {
    [K in keyof Shape]: z.ZodOptional<
      z.ZodType<z.output<Shape[K]> | null, z.input<Shape[K]> | null>
    >;
  };
}

function applyChanges(stored: StoredRelaySettings, changes: UpdateRelayChanges) {
  const next: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next;
}

export const UpdateRelayChanges = z.strictObject(withoutDefaults(RelaySettings.shape));
export type UpdateRelayChanges = z.infer<typeof UpdateRelayChanges>;

async function updateRelayUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string; ifMatch?: string | undefined; changes: unknown };
}): Promise<RelayView> {
  requireScope(ctx.caller, "operator");
  const changes = parseInput(UpdateRelayChanges, input.changes);
  const updated = await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    const relay = await findRelayByName(ctx.database, input.name);
    if (!relay) throw new RelayError("not_found", `no relay named "${input.name}"`);
    if (!ifMatchAccepts(input.ifMatch, relay.version)) {
      throw new RelayError(
        "precondition_failed",
        `relay "${input.name}" changed: If-Match ${input.ifMatch} but its ETag is "${relay.version}"; GET it again`,
      );
    }
    const merged = parseInput(RelaySettingsInput, applyChanges(relay.settings, changes));
    const settings: StoredRelaySettings = {
      ...merged,
      prefix: merged.prefix ?? relay.settings.prefix,
    };
    if (settings.prefix !== relay.settings.prefix) {
      const others = (await listRelays(ctx.database)).filter((other) => other.id !== relay.id);
      const clash = prefixClash(settings.prefix, others);
      if (clash) throw new RelayError("conflict", clash, [{ path: "prefix", message: clash }]);
    }
    const nodes =
      settings.prefix !== relay.settings.prefix ? await listRelayNodes(ctx.database, relay.id) : [];
    const at = isoNow(ctx);
    await commitMutation(ctx.database, {
      readVersion,
      at,
      audit: {
        actor: actorOf(ctx.caller),
        verb: "relay.update",
        input: { name: relay.name, changes },
      },
      statements: (db, version) => [
        updateRelaySettings(db, relay, settings, at, version),
        // The old prefix's approvals are ours to take back.
        ...nodes.map((node) =>
          insertCleanup(db, {
            kind: "route",
            target: relay.settings.prefix,
            nodeId: node.nodeId,
            at,
          }),
        ),
      ],
    });
    const fresh = await findRelayByName(ctx.database, relay.name);
    if (!fresh) throw new RelayError("not_found", `no relay named "${input.name}"`);
    return fresh;
  });
  ctx.changed(["config", "tailscale"]);
  return relayView(updated);
}

export async function updateRelay(args: Parameters<typeof updateRelayUnaudited>[0]) {
  return auditRefusals(args.ctx, "relay.update", args.input, () => updateRelayUnaudited(args));
}
