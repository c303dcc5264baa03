// `/relay add-domain <split> <real-suffix> [relay]`: host.<split> is answered from
// host.<real-suffix> through the relay; confirmed in the channel with what happens next.
import { RelayError } from "../../core/errors.ts";
import { postConfirmation } from "../post-confirmation.ts";
import { code } from "../slack/message.ts";
import { type Command, type CommandRun, requireArgs } from "./command.ts";

async function onlyRelay({ bot, actor, args }: CommandRun): Promise<string> {
  const relays = await bot.backend.listRelays(actor);
  if (relays.length === 1) return relays[0]!.name;
  if (relays.length === 0) {
    throw new RelayError(
      "not_found",
      "there is no relay yet: create one first (POST /v1/relays, see docs/api.md)",
    );
  }
  const names = relays.map((relay) => relay.name);
  throw new RelayError(
    "invalid_input",
    `there are ${relays.length} relays (${names.join(", ")}): name one, e.g. ${bot.command} add-domain ${args.join(" ")} ${names[0]}`,
  );
}

export const addDomain: Command = {
  name: "add-domain",
  usage: "add-domain <split> <real-suffix> [relay]",
  summary: `answer ${code("host.<split>")} from ${code("host.<real-suffix>")} through the relay (optional when there is only one)`,
  mutates: true,
  auditVerb: "split_domain.add",
  async run(run) {
    requireArgs(run, addDomain, 2, 3);
    const [name = "", realSuffix = "", given] = run.args;
    const relay = given ?? (await onlyRelay(run));
    const result = await run.bot.backend.addSplitDomain(run.actor, { name, realSuffix, relay });
    await postConfirmation(
      run.bot,
      run.actor,
      { channelId: run.invocation.channelId, responseUrl: run.invocation.responseUrl },
      {
        kind: "add",
        splitDomain: result.splitDomain.name,
        realSuffix: result.splitDomain.realSuffix,
        relay: result.splitDomain.relay,
        warnings: result.warnings,
      },
    );
  },
};
