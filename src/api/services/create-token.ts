// createToken: mints an API token; the secret is in this answer and nowhere else.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import { commitMutation, readStateVersion } from "../storage/mutation.ts";
import { findRelayByName } from "../storage/relays.ts";
import { findToken, insertToken } from "../storage/tokens.ts";
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
import { hashSecret, newTokenId, newTokenSecret } from "./token-secret.ts";
import { TokenScope, TokenView, tokenView } from "./token-view.ts";

export const CreateTokenInput = z
  .strictObject({
    name: z.string().min(1).max(100).describe("what the token is for, e.g. ci-deploy"),
    scope: TokenScope.describe("admin: everything; operator: relays and domains; agent: one relay"),
    relay: RelayName.optional().describe("required for agent tokens: the relay it belongs to"),
  })
  .superRefine((value, ctx) => {
    if (value.scope === "agent" && !value.relay) {
      ctx.addIssue({ code: "custom", path: ["relay"], message: "an agent token needs its relay" });
    }
    if (value.scope !== "agent" && value.relay) {
      ctx.addIssue({ code: "custom", path: ["relay"], message: "only agent tokens have a relay" });
    }
  });
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

export const CreateTokenOutput = z.object({
  token: TokenView,
  secret: z.string().describe("send as Authorization: Bearer <secret>; shown only this once"),
});
export type CreateTokenOutput = z.infer<typeof CreateTokenOutput>;

async function createTokenUnaudited({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
}): Promise<CreateTokenOutput> {
  requireScope(ctx.caller, "admin");
  const body = parseInput(CreateTokenInput, input);
  const id = newTokenId();
  const secret = newTokenSecret(id);
  const secretHash = await hashSecret(secret);
  const token = await withFreshState(ctx, async () => {
    const readVersion = await readStateVersion(ctx.database);
    let relayId: string | null = null;
    if (body.relay) {
      const relay = await findRelayByName(ctx.database, body.relay);
      if (!relay) {
        throw new RelayError("not_found", `no relay named "${body.relay}"`, [
          { path: "relay", message: `no relay named "${body.relay}"` },
        ]);
      }
      relayId = relay.id;
    }
    const at = isoNow(ctx);
    await commitMutation(ctx.database, {
      readVersion,
      at,
      audit: { actor: actorOf(ctx.caller), verb: "token.create", input: { id, ...body } },
      statements: (db) => [
        insertToken(db, {
          id,
          name: body.name,
          scope: body.scope,
          relayId,
          secretHash,
          createdBy: actorOf(ctx.caller),
          createdAt: at,
        }),
      ],
    });
    const record = await findToken(ctx.database, id);
    if (!record) throw new Error(`token ${id} vanished after insert`);
    return record;
  });
  return { token: tokenView(token), secret };
}

export async function createToken(args: Parameters<typeof createTokenUnaudited>[0]) {
  return auditRefusals(args.ctx, "token.create", args.input, () => createTokenUnaudited(args));
}
