// The in-channel confirmation of a change, rendered from the change and the current status:
// what happens next (split DNS, route approval, which relay nodes applied the revision), and
// whether anything is still to come. Pure: the refresher decides when to post it.
import type { StatusOutput } from "../api/services/get-status.ts";
import type { SlackConfirmation } from "../api/services/slack-confirmations.ts";
import { code, context, escapeText, mention, type SlackMessage, section } from "./slack/message.ts";
import {
  DONE,
  isPlanMode,
  MANUAL,
  nodeLine,
  nodesDone,
  noNodesLine,
  routeLine,
  routesDone,
  routesOf,
  splitDnsDone,
  splitDnsLine,
  WAITING,
} from "./sync-lines.ts";

/** After this long a confirmation stops being updated (the change is surely settled or stuck). */
export const TRACKING_LIMIT_MS = 24 * 60 * 60 * 1000;

export type ConfirmationFacts = Omit<
  SlackConfirmation,
  "id" | "rendered" | "channel" | "messageTs"
>;

export interface ConfirmationView {
  readonly message: SlackMessage;
  /** Nothing more will change: stop updating. */
  readonly done: boolean;
}

function requesterOf(requestedBy: string): string {
  const user = /^slack:[^/]+\/(.+)$/.exec(requestedBy)?.[1];
  return user ? mention(user) : requestedBy;
}

function headline(facts: ConfirmationFacts): string {
  const who = requesterOf(facts.requestedBy);
  const mapping = `\`host.${facts.splitDomain}\` → \`host.${facts.realSuffix}\` through relay ${code(facts.relay)}`;
  return facts.kind === "add"
    ? `${DONE} ${who} added split domain ${code(facts.splitDomain)}: ${mapping} (config revision ${facts.revision}).`
    : `:wastebasket: ${who} removed split domain ${code(facts.splitDomain)} (was ${mapping}; config revision ${facts.revision}).`;
}

function removalSplitDnsLine(facts: ConfirmationFacts, status: StatusOutput) {
  const domain = facts.splitDomain;
  const report = status.tailscale;
  if (isPlanMode(status)) {
    return {
      done: true,
      line: `${MANUAL} Split DNS for ${code(domain)}: plan mode: remove it in the admin console (DNS → Nameservers: the one restricted to "${domain}")`,
    };
  }
  const pending = report?.pendingCleanups.includes(`remove split DNS for ${domain}`) ?? true;
  const ranSince = report !== null && report.at >= facts.createdAt;
  if (!ranSince || pending) {
    const why = report?.error && ranSince ? `: last run failed: ${report.error}` : "";
    return {
      done: false,
      line: `${WAITING} Split DNS for ${code(domain)}: being taken back from Tailscale${why}`,
    };
  }
  return { done: true, line: `${DONE} Split DNS for ${code(domain)}: removed from Tailscale` };
}

export function renderConfirmation(
  facts: ConfirmationFacts,
  status: StatusOutput,
  now: Date,
): ConfirmationView {
  const relay = status.relays.find((candidate) => candidate.name === facts.relay);
  const lines: string[] = [];
  let done: boolean;
  if (facts.kind === "add") {
    if (!relay) {
      lines.push(`${MANUAL} Relay ${code(facts.relay)} no longer exists`);
      done = true;
    } else {
      lines.push(splitDnsLine(status, relay, facts.splitDomain));
      lines.push(...routesOf(relay).map(routeLine));
      done =
        splitDnsDone(status, relay, facts.splitDomain) &&
        routesDone(status, relay) &&
        nodesDone(relay, facts.revision);
    }
  } else {
    const splitDns = removalSplitDnsLine(facts, status);
    lines.push(splitDns.line);
    done =
      splitDns.done && (!relay || relay.nodes.length === 0 || nodesDone(relay, facts.revision));
  }
  if (relay) {
    lines.push(
      ...(relay.nodes.length
        ? relay.nodes.map((node) => nodeLine(node, facts.revision))
        : [noNodesLine(facts.relay)]),
    );
  }
  const expired = now.getTime() - Date.parse(facts.createdAt) > TRACKING_LIMIT_MS;
  const footer = done
    ? "All done."
    : expired
      ? `No longer updated (after 24 hours); see \`/relay status ${facts.relay}\`.`
      : `This message updates as the relay's nodes apply revision ${facts.revision} and the reconciler runs.`;
  const top = headline(facts);
  return {
    message: {
      text: top,
      blocks: [
        section(top),
        ...facts.warnings.map((warning) => section(`:warning: ${escapeText(warning.message)}`)),
        section(lines.join("\n")),
        context(footer),
      ],
    },
    done: done || expired,
  };
}
