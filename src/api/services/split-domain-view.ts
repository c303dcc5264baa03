// How a split domain looks to API callers.
import { z } from "zod";
import type { SplitDomainRecord } from "../storage/split-domains.ts";
import { etagOf } from "./schemas.ts";

export const SplitDomainView = z.object({
  name: z.string(),
  realSuffix: z.string(),
  relay: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  etag: z.string(),
});
export type SplitDomainView = z.infer<typeof SplitDomainView>;

export function splitDomainView(record: SplitDomainRecord): SplitDomainView {
  return {
    name: record.name,
    realSuffix: record.realSuffix,
    relay: record.relayName,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    etag: etagOf(record.version),
  };
}
