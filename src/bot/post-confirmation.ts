// Posts (or, for a confirmed removal, rewrites in place) the in-channel confirmation of a
// change, and records which message it is so later reconcile runs and agent reports update it.
import type { SlackActor } from "./backend/backend.ts";
import type { Bot } from "./bot.ts";
import { type ConfirmationFacts, renderConfirmation } from "./confirmation-view.ts";
import { context, escapeText } from "./slack/message.ts";

export interface ConfirmedChange {
  readonly kind: "add" | "remove";
  readonly splitDomain: string;
  readonly realSuffix: string;
  readonly relay: string;
  readonly warnings: readonly { code: string; message: string }[];
}

export async function postConfirmation(
  bot: Bot,
  actor: SlackActor,
  where: { channelId: string; responseUrl: string; replaceTs?: string },
  change: ConfirmedChange,
): Promise<void> {
  const status = await bot.backend.getStatus(actor);
  const revision = status.relays.find((relay) => relay.name === change.relay)?.configRevision ?? 0;
  const facts: ConfirmationFacts = {
    ...change,
    warnings: [...change.warnings],
    revision,
    requestedBy: `slack:${actor.teamId}/${actor.userId}`,
    createdAt: bot.now().toISOString(),
  };
  const view = renderConfirmation(facts, status, bot.now());
  let messageTs: string;
  try {
    if (where.replaceTs) {
      await bot.slack.updateMessage(where.channelId, where.replaceTs, view.message);
      messageTs = where.replaceTs;
    } else {
      messageTs = (await bot.slack.postMessage(where.channelId, view.message)).ts;
    }
  } catch (error) {
    // The change is made; say so privately rather than lose the answer.
    const reason = error instanceof Error ? error.message : String(error);
    await bot.slack.respond(where.responseUrl, {
      response_type: "ephemeral",
      text: view.message.text,
      blocks: [
        ...view.message.blocks,
        context(
          `:warning: I could not post this in the channel (${escapeText(reason)}): invite me with \`/invite\` to get updates here.`,
        ),
      ],
    });
    return;
  }
  if (view.done) return;
  await bot.backend.confirmations.record(actor, {
    channel: where.channelId,
    messageTs,
    kind: facts.kind,
    splitDomain: facts.splitDomain,
    realSuffix: facts.realSuffix,
    relay: facts.relay,
    revision,
    warnings: facts.warnings,
    rendered: JSON.stringify(view.message.blocks),
  });
  // A reconcile may have finished between the status read above and the record.
  await bot.refresh();
}
