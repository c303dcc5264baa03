// How the relay verbs that change an existing relay find it and check its ETag.
import { findRelayByName, type RelayRecord } from "../storage/relays.ts";
import type { ServiceContext } from "./context.ts";

/** The find / not-found / If-Match part of changeExisting for the relay called `name`. */
export function existingRelay(
  ctx: ServiceContext,
  input: { name: string; ifMatch?: string | undefined },
) {
  return {
    find: () => findRelayByName(ctx.database, input.name),
    notFound: `no relay named "${input.name}"`,
    ifMatch: {
      sent: input.ifMatch,
      versionOf: (relay: RelayRecord) => relay.version,
      label: `relay "${input.name}"`,
    },
  };
}
