// recordSlackRefusal: the bot refused a Slack user before any verb ran (not an allowed user,
// not an allowed channel); the attempt lands in the audit log like any other refusal.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import { recordRefusal } from "../storage/mutation.ts";
import { actorOf, isoNow, type ServiceContext } from "./context.ts";
import { parseInput } from "./parse.ts";

export const RecordSlackRefusalInput = z.strictObject({
  verb: z.string().min(1).max(100),
  input: z.record(z.string(), z.unknown()),
  outcome: z.literal("forbidden"),
});
export type RecordSlackRefusalInput = z.infer<typeof RecordSlackRefusalInput>;

export async function recordSlackRefusal({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
}): Promise<void> {
  if (ctx.caller.type !== "slack") {
    throw new RelayError("forbidden", "only the Slack bot records Slack refusals");
  }
  const body = parseInput(RecordSlackRefusalInput, input);
  await recordRefusal(
    ctx.database,
    { actor: actorOf(ctx.caller), verb: body.verb, input: body.input, outcome: body.outcome },
    isoNow(ctx),
  );
}
