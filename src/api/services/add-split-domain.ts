// addSplitDomain: maps host.<name> to host.<realSuffix> through one relay.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import { checkSplitDomain } from "../../core/validation/split-domain.ts";
import { commitMutation, isUniqueViolation, readStateVersion } from "../storage/mutation.ts";
import { findRelayByName, touchRelayConfig } from "../storage/relays.ts";
import {
  findSplitDomain,
  findSplitDomainClashCandidates,
  insertSplitDomain,
} from "../storage/split-domains.ts";
import { cancelSplitDnsCleanup } from "../storage/tailscale-state.ts";
import {
  actorOf,
  auditRefusals,
  isoNow,
  requireScope,
  type ServiceContext,
  withFreshState,
} from "./context.ts";
import { parseInput } from "./parse.ts";
import { RelayName } from "./schemas.ts";
import { SplitDomainView, splitDomainView } from "./split-domain-view.ts";

export const AddSplitDomainInput = z.strictObject({
  name: z.string().min(1).describe("suffix that forces the relay, e.g. r9929 (host.r9929)"),
  realSuffix: z.string().min(1).describe("suffix of the real names, e.g. tail1234.ts.net"),
  relay: RelayName.describe("name of the relay that answers for it"),
});
export type AddSplitDomainInput = z.infer<typeof AddSplitDomainInput>;

export const SplitDomainWarning = z.object({ code: z.string(), message: z.string() });

export const AddSplitDomainOutput = z.object({
  splitDomain: SplitDomainView,
  warnings: z.array(SplitDomainWarning).describe("accepted, but read these (e.g. all-digit label)"),
});
export type AddSplitDomainOutput = z.infer<typeof AddSplitDomainOutput>;

const MAX_CLASHES_SHOWN = 10;

async function addSplitDomainUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
}): Promise<AddSplitDomainOutput> {
  requireScope(ctx.caller, "operator");
  const body = parseInput(AddSplitDomainInput, input);
  // Rules of the mapping on its own are bad input; clashes with what exists are conflicts.
  const alone = checkSplitDomain(body);
  if (alone.problems.length) {
    const problems = alone.problems.map((p) => ({ path: p.field, message: p.message }));
    throw new RelayError(
      "invalid_input",
      `invalid split domain: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      problems,
    );
  }
  const { name, realSuffix } = alone.normalized;

  const created = await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    const relay = await findRelayByName(ctx.database, body.relay);
    if (!relay) {
      throw new RelayError("not_found", `no relay named "${body.relay}"`, [
        { path: "relay", message: `no relay named "${body.relay}"` },
      ]);
    }
    const others = await findSplitDomainClashCandidates(ctx.database, { name, realSuffix });
    const clash = checkSplitDomain({ name, realSuffix }, others);
    if (clash.problems.length) {
      // A name above many existing ones clashes with each: name the first few.
      const shown = clash.problems.slice(0, MAX_CLASHES_SHOWN);
      const more = clash.problems.length - shown.length;
      const message =
        shown.map((p) => p.message).join("; ") + (more > 0 ? `; and ${more} more` : "");
      throw new RelayError(
        "conflict",
        message,
        shown.map((p) => ({ path: p.field, message: p.message })),
      );
    }
    const at = isoNow(ctx);
    try {
      await commitMutation(ctx.database, {
        readVersion,
        at,
        audit: {
          actor: actorOf(ctx.caller),
          verb: "split_domain.add",
          input: { name, realSuffix, relay: relay.name },
        },
        statements: (db, version) => [
          insertSplitDomain(db, {
            name,
            realSuffix,
            relayId: relay.id,
            createdBy: actorOf(ctx.caller),
            at,
          }),
          touchRelayConfig(db, relay.id, version),
          cancelSplitDnsCleanup(db, name),
        ],
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new RelayError("conflict", `split domain "${name}" already exists`);
      }
      throw error;
    }
    const record = await findSplitDomain(ctx.database, name);
    if (!record) throw new Error(`split domain ${name} vanished after insert`);
    return record;
  });
  ctx.changed(["config", "tailscale"]);
  return { splitDomain: splitDomainView(created), warnings: alone.warnings };
}

export async function addSplitDomain(args: Parameters<typeof addSplitDomainUnaudited>[0]) {
  return auditRefusals(args.ctx, "split_domain.add", args.input, () =>
    addSplitDomainUnaudited(args),
  );
}
