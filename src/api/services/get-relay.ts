// getRelay / listRelays: read relays.
import { RelayError } from "../../core/errors.ts";
import { findRelayByName } from "../storage/relays.ts";
import { requireScope, type ServiceContext } from "./context.ts";
import { type RelayView, relayView } from "./schemas.ts";

export async function getRelay({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { name: string };
}): Promise<RelayView> {
  requireScope(ctx.caller, "operator");
  const relay = await findRelayByName(ctx.database, input.name);
  if (!relay) throw new RelayError("not_found", `no relay named "${input.name}"`);
  return relayView(relay);
}
