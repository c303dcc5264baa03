// listRelays: every relay, by name.
import { listRelays as listRelayRecords } from "../storage/relays.ts";
import { requireScope, type ServiceContext } from "./context.ts";
import { type RelayView, relayView } from "./schemas.ts";

export async function listRelays({ ctx }: { ctx: ServiceContext }): Promise<RelayView[]> {
  requireScope(ctx.caller, "operator");
  return (await listRelayRecords(ctx.database)).map(relayView);
}
