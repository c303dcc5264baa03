// `/relay status [relay]`: per relay its nodes, last seen, applied vs current revision, doctor
// summary, Tailscale drift, and the admin-console steps still needed.
import { RelayError } from "../../core/errors.ts";
import { code, context, escapeText, type ResponseMessage, section } from "../slack/message.ts";
import {
  doctorSummary,
  FAILED,
  noNodesLine,
  type RelayStatus,
  routeSummary,
  WAITING,
} from "../sync-lines.ts";
import { type Command, requireArgs } from "./command.ts";

const MAX_LINES = 10;

function bullets(lines: readonly string[]): string {
  const shown = lines.slice(0, MAX_LINES).map((line) => `• ${escapeText(line)}`);
  if (lines.length > MAX_LINES) shown.push(`• and ${lines.length - MAX_LINES} more`);
  return shown.join("\n");
}

function relaySection(relay: RelayStatus, status: Parameters<typeof routeSummary>[0]): string {
  const nodes = relay.nodes.length
    ? relay.nodes.map((node) => {
        const revision = node.upToDate
          ? `revision ${node.appliedRevision} (current)`
          : `revision ${node.appliedRevision}, current is ${relay.configRevision}`;
        const mark =
          node.state === "down" ? FAILED : node.upToDate ? ":white_check_mark:" : WAITING;
        const down = node.state === "down" ? " (down: no recent report)" : "";
        return `${mark} Node ${code(node.hostname)}${down}: ${revision}, last seen ${node.lastSeenAt}, ${doctorSummary(node.doctor)}`;
      })
    : [noNodesLine(relay.name)];
  const drift = relay.tailscale?.drift ?? [];
  return [
    `*Relay ${code(relay.name)}* · prefix ${code(relay.prefix)} · config revision ${relay.configRevision}`,
    ...nodes,
    ...routeSummary(status, relay),
    drift.length ? `Tailscale drift:\n${bullets(drift)}` : ":white_check_mark: No Tailscale drift",
  ].join("\n");
}

export const status: Command = {
  name: "status",
  usage: "status [relay]",
  summary: "nodes, applied revisions, doctor summaries, Tailscale drift and steps still needed",
  mutates: false,
  auditVerb: "slack.status",
  async run(run) {
    requireArgs(run, status, 0, 1);
    const { bot, actor, invocation } = run;
    const wanted = run.args[0];
    const current = await bot.backend.getStatus(actor);
    const relays = wanted
      ? current.relays.filter((relay) => relay.name === wanted)
      : current.relays;
    if (wanted && relays.length === 0) {
      const names = current.relays.map((relay) => relay.name);
      throw new RelayError(
        "not_found",
        `no relay named "${wanted}"; relays: ${names.length ? names.join(", ") : "none yet"}`,
      );
    }
    const report = current.tailscale;
    const sync = report
      ? `Last reconcile ${report.at} (${report.mode} mode): ${report.ok ? "ok" : `failed: ${report.error ?? "see the server log"}`}`
      : "The reconciler has not run yet.";
    const steps = report?.steps ?? [];
    const text = relays.length
      ? `Status of ${relays.length} relay${relays.length === 1 ? "" : "s"}`
      : "No relays yet.";
    const reply: ResponseMessage = {
      response_type: "ephemeral",
      text,
      blocks: [
        section(`*${text}*`),
        ...relays.slice(0, 40).map((relay) => section(relaySection(relay, current))),
        ...(steps.length
          ? [section(`*Admin-console steps still needed:*\n${bullets(steps)}`)]
          : []),
        context(escapeText(sync)),
      ],
    };
    await bot.slack.respond(invocation.responseUrl, reply);
  },
};
