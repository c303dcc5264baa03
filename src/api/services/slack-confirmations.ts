// Which Slack message confirms which change: recorded when the bot posts a confirmation, read
// and rewritten when nodes report or the reconciler finishes, so the message can be updated.
// Bookkeeping, not relay state: no state version, no audit row.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import {
  insertSlackConfirmation,
  listOpenSlackConfirmations as listOpenRows,
  type SlackConfirmationRecord,
  saveSlackConfirmation as saveRow,
} from "../storage/slack-confirmations.ts";
import { SplitDomainWarning } from "./add-split-domain.ts";
import { actorOf, isoNow, type ServiceContext } from "./context.ts";
import { parseInput } from "./parse.ts";

export const SlackConfirmation = z.object({
  id: z.number().int(),
  channel: z.string(),
  messageTs: z.string(),
  kind: z.enum(["add", "remove"]),
  splitDomain: z.string(),
  realSuffix: z.string(),
  relay: z.string(),
  revision: z.number().int(),
  requestedBy: z.string(),
  warnings: z.array(SplitDomainWarning),
  rendered: z.string(),
  createdAt: z.string(),
});
export type SlackConfirmation = z.infer<typeof SlackConfirmation>;

export const RecordSlackConfirmationInput = SlackConfirmation.omit({
  id: true,
  requestedBy: true,
  createdAt: true,
});
export type RecordSlackConfirmationInput = z.infer<typeof RecordSlackConfirmationInput>;

export const SaveSlackConfirmationInput = z.strictObject({
  id: z.number().int(),
  rendered: z.string(),
  closed: z.boolean(),
});
export type SaveSlackConfirmationInput = z.infer<typeof SaveSlackConfirmationInput>;

function requireBotOrSystem(ctx: ServiceContext): void {
  if (ctx.caller.type === "slack" || ctx.caller.type === "system") return;
  throw new RelayError("forbidden", "Slack confirmations are kept by the Slack bot only");
}

function confirmationOf(row: SlackConfirmationRecord): SlackConfirmation {
  const warnings = z.array(SplitDomainWarning).safeParse(JSON.parse(row.warnings));
  return {
    id: row.id,
    channel: row.channel,
    messageTs: row.messageTs,
    kind: row.kind,
    splitDomain: row.splitDomain,
    realSuffix: row.realSuffix,
    relay: row.relay,
    revision: row.revision,
    requestedBy: row.requestedBy,
    warnings: warnings.success ? warnings.data : [],
    rendered: row.rendered,
    createdAt: row.createdAt,
  };
}

export async function recordSlackConfirmation({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
}): Promise<SlackConfirmation> {
  requireBotOrSystem(ctx);
  const body = parseInput(RecordSlackConfirmationInput, input);
  const row = {
    ...body,
    warnings: JSON.stringify(body.warnings),
    requestedBy: actorOf(ctx.caller),
    createdAt: isoNow(ctx),
  };
  const id = await insertSlackConfirmation(ctx.database, row);
  return { ...body, id, requestedBy: row.requestedBy, createdAt: row.createdAt };
}

/** Confirmations still being kept up to date, oldest first. */
export async function listOpenSlackConfirmations({
  ctx,
}: {
  ctx: ServiceContext;
}): Promise<SlackConfirmation[]> {
  requireBotOrSystem(ctx);
  return (await listOpenRows(ctx.database)).map(confirmationOf);
}

/** Stores what the message now says; `closed` stops further updates. */
export async function saveSlackConfirmation({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: unknown;
}): Promise<void> {
  requireBotOrSystem(ctx);
  const body = parseInput(SaveSlackConfirmationInput, input);
  await saveRow(ctx.database, body.id, {
    rendered: body.rendered,
    closedAt: body.closed ? isoNow(ctx) : null,
  });
}
