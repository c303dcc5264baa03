// getAgentConfig: the calling agent's relay as a standalone config file (core's RelayConfig
// keys exactly) with its revision. agentConfigRevision is the cheap check behind 304 answers.
import { z } from "zod";
import { RelayError } from "../../core/errors.ts";
import { findRelayById, findRelayRevision } from "../storage/relays.ts";
import { listSplitDomains } from "../storage/split-domains.ts";
import { requireAgentOf, type ServiceContext } from "./context.ts";

export const AgentConfigOutput = z.object({
  revision: z.number().int().describe("changes whenever this relay's config changes"),
  config: z
    .record(z.string(), z.unknown())
    .describe("the standalone config file's keys (core RelayConfig), split domains included"),
});
export type AgentConfigOutput = z.infer<typeof AgentConfigOutput>;

export async function agentConfigRevision({ ctx }: { ctx: ServiceContext }): Promise<number> {
  const relayId = requireAgentOf(ctx.caller);
  const revision = await findRelayRevision(ctx.database, relayId);
  if (revision === undefined) throw new RelayError("not_found", "this token's relay was deleted");
  return revision;
}

export async function getAgentConfig({ ctx }: { ctx: ServiceContext }): Promise<AgentConfigOutput> {
  const relayId = requireAgentOf(ctx.caller);
  const relay = await findRelayById(ctx.database, relayId);
  if (!relay) throw new RelayError("not_found", "this token's relay was deleted");
  const domains = await listSplitDomains(ctx.database, relayId);
  return {
    revision: relay.configRevision,
    config: {
      ...relay.settings,
      splitDomains: domains.map(({ name, realSuffix }) => ({ name, realSuffix })),
    },
  };
}

/** Something that resolves when state may have changed, or after `timeoutMs` at the latest. */
export interface ChangeSignal {
  wait(timeoutMs: number): Promise<void>;
}

/**
 * Long poll: returns as soon as the relay's revision differs from `knownRevision`, or when
 * `waitMs` has passed (then with the unchanged revision).
 */
export async function waitForAgentConfigChange({
  ctx,
  input,
  signal,
}: {
  ctx: ServiceContext;
  input: { knownRevision: number; waitMs: number };
  signal: ChangeSignal;
}): Promise<number> {
  const deadline = ctx.now().getTime() + input.waitMs;
  for (;;) {
    const revision = await agentConfigRevision({ ctx });
    const left = deadline - ctx.now().getTime();
    if (revision !== input.knownRevision || left <= 0) return revision;
    await signal.wait(left);
  }
}
