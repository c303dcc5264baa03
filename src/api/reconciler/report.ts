// The reconciler's report, stored after each run and shown in GET /v1/status.
import { z } from "zod";

export const SplitDnsState = z.object({
  domain: z.string(),
  /** Nameservers we want; null while no relay node has reported its addresses. */
  desired: z.array(z.string()).nullable(),
  /** What Tailscale had before this run (null: unknown, e.g. plan mode). */
  actual: z.array(z.string()).nullable(),
  inSync: z.boolean(),
  note: z.string().optional(),
});

export const RouteState = z.object({
  nodeId: z.string(),
  hostname: z.string(),
  prefix: z.string(),
  advertised: z.boolean().nullable(),
  approved: z.boolean().nullable(),
  note: z.string().optional(),
});

export const RelaySyncState = z.object({
  splitDns: z.array(SplitDnsState),
  routes: z.array(RouteState),
  /** What differs from the desired state after this run, in words. */
  drift: z.array(z.string()),
});
export type RelaySyncState = z.infer<typeof RelaySyncState>;

export const SyncReport = z.object({
  at: z.string(),
  mode: z.enum(["apply", "plan"]),
  ok: z.boolean(),
  error: z.string().optional(),
  /** When not ok: the distinct causes, e.g. ["ECONNREFUSED"], ["HTTP 403"], ["DNS"]. */
  causes: z.array(z.string()).optional(),
  relays: z.record(z.string(), RelaySyncState),
  /** Changes made in this run (apply mode). */
  changes: z.array(z.string()),
  /** Admin-console steps to make Tailscale match (plan mode, no credentials). */
  steps: z.array(z.string()),
  /** Split DNS entries and route approvals still to be taken back. */
  pendingCleanups: z.array(z.string()),
});
export type SyncReport = z.infer<typeof SyncReport>;
