// Our nftables table (inet nat64_relay): guard, forwarding rules, masquerade. Created or
// replaced whole in one `nft -f` transaction (the ruleset itself is built in
// nat64/nft-ruleset.ts); a replace keeps the guard's live set elements.
import type { NftTableSummary } from "../host/nftables.ts";
import {
  ALLOWED_V4_SET,
  ALLOWED_V6_SET,
  deleteTableScript,
  digestFromComment,
  NFT_FAMILY,
  NFT_TABLE,
  type RenderedTable,
  replaceTableScript,
  type SetElement,
} from "../nat64/nft-ruleset.ts";
import type { DataPlaneHost } from "./data-plane-host.ts";
import { APPLY_FIX, type HealthCheck, leftover } from "./health-check.ts";
import type { HostResource } from "./resource.ts";
import { planned } from "./resource.ts";

export const TABLE_CHECK: HealthCheck = {
  id: "table",
  title: `nftables table ${NFT_FAMILY} ${NFT_TABLE}`,
  impact:
    "no masquerade and no open-proxy guard as configured: the table is missing, was edited by hand, or belongs to another config",
  fix: `${APPLY_FIX}: it replaces the table in one transaction`,
  healthy: "present, matches the config",
};

/** What differs between the table on the host and the rendered one, for the doctor. */
function tableDrift(actual: NftTableSummary | undefined, wanted: RenderedTable): string {
  if (!actual) return "missing";
  const edited = Object.entries(wanted.ruleCounts)
    .filter(([chain, count]) => actual.chains[chain] !== count)
    .map(([chain]) => chain);
  return edited.length ? `rules changed in ${edited.join(", ")}` : "differs from the config";
}

/**
 * Whether the table on the host is the one we render: same digest in its comment and the same
 * rule count per chain (a hand edit that keeps the comment is still noticed).
 */
export function tableMatches(actual: NftTableSummary | undefined, wanted: RenderedTable): boolean {
  return (
    actual !== undefined &&
    digestFromComment(actual.comment) === wanted.digest &&
    Object.entries(wanted.ruleCounts).every(([chain, count]) => actual.chains[chain] === count) &&
    Object.keys(actual.chains).length === Object.keys(wanted.ruleCounts).length
  );
}

async function liveElements(host: DataPlaneHost, set: string): Promise<SetElement[]> {
  const elements = await host.nft.elements(NFT_FAMILY, NFT_TABLE, set).catch(() => []);
  return elements
    .filter((element) => element.expiresSeconds !== undefined && element.expiresSeconds > 0)
    .map((element) => ({ address: element.address, timeoutSeconds: element.expiresSeconds ?? 1 }));
}

/** The table as the host has it (undefined: absent). */
export type ObservedTable = NftTableSummary | undefined;

export const nftTableResource: HostResource<ObservedTable> = {
  name: "nft-table",
  // Without a table desired or recorded there is nothing of ours to look for.
  observe: ({ desired, record, host }) =>
    desired.nft || record.nftTable
      ? host.nft.table(NFT_FAMILY, NFT_TABLE)
      : Promise.resolve(undefined),
  plan(desired, actual, _record, host) {
    const wanted = desired.nft;
    if (!wanted) {
      if (!actual) return planned([], []);
      return planned(
        [],
        [
          {
            resource: "nft-table",
            area: "nft",
            summary: `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
            drift: leftover(`table ${NFT_FAMILY} ${NFT_TABLE} left over`),
            effects: ["table-deleted"],
            undo: true,
            run: async (record) => {
              await host.nft.run(deleteTableScript());
              return { ...record, nftTable: false };
            },
          },
        ],
      );
    }
    if (tableMatches(actual, wanted)) return planned([TABLE_CHECK], []);
    const replace = actual !== undefined;
    return planned(
      [TABLE_CHECK],
      [
        {
          resource: "nft-table",
          area: "nft",
          summary: `${replace ? "replace (differs from desired)" : "create"} table ${NFT_FAMILY} ${NFT_TABLE} (one nft -f transaction)`,
          drift: { check: TABLE_CHECK, detail: tableDrift(actual, wanted) },
          effects: [replace ? "table-replaced" : "table-created"],
          undo: false,
          run: async (record) => {
            const keep = {
              v4: await liveElements(host, ALLOWED_V4_SET),
              v6: await liveElements(host, ALLOWED_V6_SET),
            };
            await host.nft.run(replaceTableScript(wanted, keep));
            return { ...record, nftTable: true };
          },
        },
      ],
    );
  },
};
