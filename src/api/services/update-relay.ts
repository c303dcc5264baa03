// updateRelay: changes some settings of a relay (If-Match guarded); the agent sees a new revision.
import { z } from "zod";
import { RelaySettings, RelaySettingsInput } from "../../core/config/relay-config.ts";
import { RelayError } from "../../core/errors.ts";
import {
  findRelayByName,
  listRelayNodes,
  listRelays,
  type StoredRelaySettings,
  updateRelaySettings,
} from "../storage/relays.ts";
import { insertCleanup } from "../storage/tailscale-state.ts";
import { changeExisting } from "./change-existing.ts";
import type { ServiceContext } from "./context.ts";
import { prefixClash } from "./create-relay.ts";
import { existingRelay } from "./existing-relay.ts";
import { parseInput } from "./parse.ts";
import { type RelayView, relayView } from "./schemas.ts";

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

export async function updateRelay({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string; ifMatch?: string | undefined; changes: unknown };
}): Promise<RelayView> {
  const updated = await changeExisting(ctx, {
    verb: "relay.update",
    scope: "operator",
    input,
    parse: () => parseInput(UpdateRelayChanges, input.changes),
    ...existingRelay(ctx, input),
    decide: async (relay, changes, at) => {
      const merged = parseInput(RelaySettingsInput, applyChanges(relay.settings, changes));
      const settings: StoredRelaySettings = {
        ...merged,
        prefix: merged.prefix ?? relay.settings.prefix,
      };
      const prefixChanged = settings.prefix !== relay.settings.prefix;
      if (prefixChanged) {
        const others = (await listRelays(ctx.database)).filter((other) => other.id !== relay.id);
        const clash = prefixClash(settings.prefix, others);
        if (clash) throw new RelayError("conflict", clash, [{ path: "prefix", message: clash }]);
      }
      const nodes = prefixChanged ? await listRelayNodes(ctx.database, relay.id) : [];
      return {
        audit: { name: relay.name, changes },
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
      };
    },
    changed: ["config", "tailscale"],
    answer: async (relay) => {
      const fresh = await findRelayByName(ctx.database, relay.name);
      if (!fresh) throw new RelayError("not_found", `no relay named "${input.name}"`);
      return fresh;
    },
  });
  return relayView(updated);
}
