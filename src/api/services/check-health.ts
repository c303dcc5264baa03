// checkHealth: the process serves and its database answers. Anyone may ask (GET /healthz takes
// no token), so it needs only the database, not a caller.
import { z } from "zod";
import { readStateVersion } from "../storage/mutation.ts";
import type { ServiceContext } from "./context.ts";

export const HealthOutput = z.object({
  ok: z.literal(true),
  stateVersion: z.number().int().describe("bumped by every committed mutation"),
});
export type HealthOutput = z.infer<typeof HealthOutput>;

export async function checkHealth({
  ctx,
}: {
  ctx: Pick<ServiceContext, "database">;
}): Promise<HealthOutput> {
  const stateVersion = await readStateVersion(ctx.database);
  return { ok: true, stateVersion };
}
