// countRelayNodes: relay nodes up and down (node-liveness.ts, the predicate the reconciler and
// /v1/status use), for /metrics.
import { isNodeUp, nodeStaleSecondsOf } from "../reconciler/node-liveness.ts";
import type { Database } from "../storage/database.ts";
import { listRelayNodes } from "../storage/relays.ts";

export async function countRelayNodes({
  ctx,
  input,
}: {
  ctx: { readonly database: Database; readonly now: () => Date };
  input: { readonly reportIntervalSeconds: number };
}): Promise<{ up: number; down: number }> {
  const nodes = await listRelayNodes(ctx.database);
  const now = ctx.now();
  const staleSeconds = nodeStaleSecondsOf(input.reportIntervalSeconds);
  const up = nodes.filter((node) => isNodeUp(node, now, staleSeconds)).length;
  return { up, down: nodes.length - up };
}
