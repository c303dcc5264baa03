// `/relay remove-domain <split>`: asks first in the channel with Confirm / Cancel. Only the
// person who asked (and who may change things) can confirm or cancel, within 10 minutes; the
// question is then rewritten in place into the outcome.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import type { Bot } from "../bot.ts";
import { postConfirmation } from "../post-confirmation.ts";
import { actions, button, code, context, mention, section } from "../slack/message.ts";
import { type ActionHandler, type ActionRun, type Command, requireArgs } from "./command.ts";

export const CONFIRM_REMOVAL = "relay_remove_domain_confirm";
export const CANCEL_REMOVAL = "relay_remove_domain_cancel";
export const REMOVAL_TTL_SECONDS = 600;

/** What the buttons carry back: Slack returns a button's value exactly as we set it. */
export const RemovalRequest = z.object({
  name: z.string(),
  realSuffix: z.string(),
  relay: z.string(),
  etag: z.string(),
  teamId: z.string(),
  userId: z.string(),
  askedAt: z.number().int(),
});
export type RemovalRequest = z.infer<typeof RemovalRequest>;

function mapping(request: Pick<RemovalRequest, "name" | "realSuffix" | "relay">): string {
  return `\`host.${request.name}\` → \`host.${request.realSuffix}\` through relay ${code(request.relay)}`;
}

export const removeDomain: Command = {
  name: "remove-domain",
  usage: "remove-domain <split>",
  summary: "stop answering for a split domain and take its split DNS entry back (asks first)",
  mutates: true,
  auditVerb: "split_domain.remove",
  async run(run) {
    requireArgs(run, removeDomain, 1, 1);
    const { bot, actor, invocation } = run;
    const domain = await bot.backend.getSplitDomain(actor, run.args[0]!);
    const request: RemovalRequest = {
      name: domain.name,
      realSuffix: domain.realSuffix,
      relay: domain.relay,
      etag: domain.etag,
      teamId: actor.teamId,
      userId: actor.userId,
      askedAt: Math.floor(bot.now().getTime() / 1000),
    };
    const value = JSON.stringify(request);
    const question = `:question: ${mention(actor.userId)} asks to remove split domain ${code(domain.name)} (${mapping(request)}).`;
    await bot.slack
      .postMessage(invocation.channelId, {
        text: question,
        blocks: [
          section(
            `${question}\nOnce the relay's nodes apply the change and the split DNS entry is taken back, \`host.${domain.name}\` no longer resolves.`,
          ),
          actions("remove_domain", [
            button({ actionId: CONFIRM_REMOVAL, text: "Remove", value, style: "danger" }),
            button({ actionId: CANCEL_REMOVAL, text: "Cancel", value }),
          ]),
          context(
            `Only ${mention(actor.userId)} can confirm or cancel, within ${REMOVAL_TTL_SECONDS / 60} minutes.`,
          ),
        ],
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new RelayError(
          "upstream_unavailable",
          `I could not ask in this channel (${reason}); invite me with /invite and try again. Nothing was removed.`,
        );
      });
  },
};

/** The button's request, if it is ours, pressed by its asker, in time; else a precise refusal. */
async function pressedRequest(
  { bot, action, actor }: ActionRun,
  verb: "confirm" | "cancel",
): Promise<RemovalRequest> {
  let parsed: ReturnType<typeof RemovalRequest.safeParse>;
  try {
    parsed = RemovalRequest.safeParse(JSON.parse(action.value));
  } catch {
    parsed = RemovalRequest.safeParse(undefined);
  }
  if (!parsed.success) {
    throw new RelayError("invalid_input", "this button does not carry a removal request");
  }
  const request = parsed.data;
  if (request.userId !== actor.userId || request.teamId !== actor.teamId) {
    await bot.backend
      .recordRefusal(actor, "split_domain.remove", { name: request.name, pressed: verb })
      .catch((error) => bot.logError(error, "audit refusal"));
    throw new RelayError(
      "forbidden",
      `only the person who asked (${request.userId}) can ${verb} this removal; to remove ${request.name} yourself, run ${bot.command} remove-domain ${request.name}`,
    );
  }
  const age = Math.floor(bot.now().getTime() / 1000) - request.askedAt;
  if (age > REMOVAL_TTL_SECONDS) {
    await rewrite(
      bot,
      action,
      `:hourglass: The request to remove ${code(request.name)} expired; nothing was removed.`,
    );
    throw new RelayError(
      "precondition_failed",
      `this removal request expired (asked ${Math.floor(age / 60)} minutes ago, valid for ${REMOVAL_TTL_SECONDS / 60}); nothing was removed. Run ${bot.command} remove-domain ${request.name} again.`,
    );
  }
  return request;
}

async function rewrite(bot: Bot, action: ActionRun["action"], markdown: string): Promise<void> {
  await bot.slack
    .updateMessage(action.channelId, action.messageTs, {
      text: markdown,
      blocks: [section(markdown)],
    })
    .catch((error) => bot.logError(error, "rewrite removal question"));
}

export const confirmRemoval: ActionHandler = {
  actionId: CONFIRM_REMOVAL,
  mutates: true,
  auditVerb: "split_domain.remove",
  async run(run) {
    const request = await pressedRequest(run, "confirm");
    const { bot, actor, action } = run;
    await bot.backend
      .removeSplitDomain(actor, { name: request.name, ifMatch: request.etag })
      .catch((error: unknown) => {
        // The HTTP wording ("If-Match … GET it again") means nothing in Slack.
        if (error instanceof RelayError && error.code === "precondition_failed") {
          throw new RelayError(
            "precondition_failed",
            `split domain ${request.name} changed since you asked; nothing was removed. Run ${bot.command} remove-domain ${request.name} again.`,
          );
        }
        throw error;
      });
    await postConfirmation(
      bot,
      actor,
      { channelId: action.channelId, responseUrl: action.responseUrl, replaceTs: action.messageTs },
      {
        kind: "remove",
        splitDomain: request.name,
        realSuffix: request.realSuffix,
        relay: request.relay,
        warnings: [],
      },
    );
  },
};

export const cancelRemoval: ActionHandler = {
  actionId: CANCEL_REMOVAL,
  mutates: false,
  auditVerb: "split_domain.remove",
  async run(run) {
    const request = await pressedRequest(run, "cancel");
    await rewrite(
      run.bot,
      run.action,
      `:no_entry_sign: ${mention(run.actor.userId)} cancelled the removal of ${code(request.name)}; nothing changed.`,
    );
  },
};
