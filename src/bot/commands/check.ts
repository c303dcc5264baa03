// `/relay check <host.split>`: which split domain and relay serve the name, the real name it
// maps to, and whether the relay's nodes are healthy and up to date (from their reports).
import { RelayError } from "../../core/errors.ts";
import { dnsNameProblems, normalizeDnsName } from "../../core/validation/dns-name.ts";
import { code, type ResponseMessage, section } from "../slack/message.ts";
import { doctorSummary, nodeLine, noNodesLine, routeSummary, splitDnsLine } from "../sync-lines.ts";
import { type Command, requireArgs } from "./command.ts";

export const check: Command = {
  name: "check",
  usage: "check <host.split>",
  summary: "which mapping and relay serve a name, and whether that relay is healthy",
  mutates: false,
  auditVerb: "slack.check",
  async run(run) {
    requireArgs(run, check, 1, 1);
    const { bot, actor, invocation } = run;
    const name = normalizeDnsName(run.args[0]!);
    const problems = dnsNameProblems(name);
    if (problems.length) {
      throw new RelayError(
        "invalid_input",
        `"${run.args[0]}" is not a host name: ${problems.join("; ")}`,
      );
    }
    const domains = await bot.backend.listSplitDomains(actor);
    // The longest split domain the name sits below serves it (split domains never nest).
    const serving = domains
      .filter((domain) => name === domain.name || name.endsWith(`.${domain.name}`))
      .sort((a, b) => b.name.length - a.name.length)[0];
    if (!serving) {
      const names = domains.map((domain) => domain.name);
      throw new RelayError(
        "not_found",
        `no split domain serves ${name}; split domains: ${names.length ? names.join(", ") : "none yet"}`,
      );
    }
    if (serving.name === name) {
      throw new RelayError(
        "invalid_input",
        `${name} is the split domain itself; check a host below it, e.g. ${bot.command} check my-vps.${name}`,
      );
    }
    const host = name.slice(0, -(serving.name.length + 1));
    const status = await bot.backend.getStatus(actor);
    const relay = status.relays.find((candidate) => candidate.name === serving.relay);
    const nodes = relay?.nodes.length
      ? relay.nodes.map(
          (node) => `${nodeLine(node, relay.configRevision)}, ${doctorSummary(node.doctor)}`,
        )
      : [noNodesLine(serving.relay)];
    const text = `${code(name)} is answered by relay ${code(serving.relay)} from the A records of ${code(`${host}.${serving.realSuffix}`)}`;
    const reply: ResponseMessage = {
      response_type: "ephemeral",
      text,
      blocks: [
        section(
          `${text}, each IPv4 address embedded in ${code(relay?.prefix ?? "?")} (split domain ${code(serving.name)}).`,
        ),
        section(
          [
            splitDnsLine(status, relay, serving.name),
            ...routeSummary(status, relay),
            ...nodes,
          ].join("\n"),
        ),
      ],
    };
    await bot.slack.respond(invocation.responseUrl, reply);
  },
};
