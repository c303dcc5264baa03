// `/relay list`: every split domain with its relay and sync state.
import { RelayError } from "../../core/errors.ts";
import { code, context, type ResponseMessage, section } from "../slack/message.ts";
import { routeSummary, splitDnsLine } from "../sync-lines.ts";
import type { Command } from "./command.ts";

/** Slack allows 50 blocks a message; keep room for the intro and the footer. */
const MAX_SHOWN = 45;

export const list: Command = {
  name: "list",
  usage: "list",
  summary: "split domains with their relay and sync state (split DNS set? route approved?)",
  mutates: false,
  auditVerb: "slack.list",
  async run({ bot, actor, invocation, args }) {
    if (args.length) {
      throw new RelayError("invalid_input", `list takes no arguments; usage: ${bot.command} list`);
    }
    const [domains, status] = await Promise.all([
      bot.backend.listSplitDomains(actor),
      bot.backend.getStatus(actor),
    ]);
    let reply: ResponseMessage;
    if (domains.length === 0) {
      const text = `No split domains yet. Add one: ${code(`${bot.command} add-domain r9929 tail1234.ts.net`)}`;
      reply = { response_type: "ephemeral", text, blocks: [section(text)] };
    } else {
      const shown = domains.slice(0, MAX_SHOWN);
      const blocks = shown.map((domain) => {
        const relay = status.relays.find((candidate) => candidate.name === domain.relay);
        return section(
          [
            `*${code(domain.name)}* → ${code(domain.realSuffix)} through relay ${code(domain.relay)}`,
            splitDnsLine(status, relay, domain.name),
            ...routeSummary(status, relay),
          ].join("\n"),
        );
      });
      const more = domains.length - shown.length;
      const text = `${domains.length} split domain${domains.length === 1 ? "" : "s"}`;
      reply = {
        response_type: "ephemeral",
        text,
        blocks: [
          section(`*${text}*`),
          ...blocks,
          ...(more > 0 ? [context(`and ${more} more: GET /v1/split-domains lists all`)] : []),
        ],
      };
    }
    await bot.slack.respond(invocation.responseUrl, reply);
  },
};
