// Who this relay node is on the tailnet, from `tailscale status --json` (Self): the stable node
// id, the host name and the Tailscale addresses the API cross-checks against its device list
// (the fields: docs/design.md, "Tailscale facts").
import { z } from "zod";
import type { TailscaleCli } from "../host/tailscale-cli.ts";

export interface NodeIdentity {
  readonly nodeId: string;
  readonly hostname: string;
  readonly addresses: readonly string[];
}

/** The part of `tailscale status --json` the agent reads; everything else passes unchecked. */
const TailscaleStatusSelf = z.object({
  BackendState: z.string().optional(),
  Self: z.object({
    ID: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "a stable node id"),
    HostName: z.string().min(1).max(253),
    TailscaleIPs: z.array(z.string()).min(1, "no Tailscale IPs (is tailscale up?)"),
  }),
});

export type IdentityRead =
  | { readonly ok: true; readonly identity: NodeIdentity }
  | { readonly ok: false; readonly reason: string };

export function identityFromStatus(status: unknown): IdentityRead {
  const parsed = TailscaleStatusSelf.safeParse(status);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      ok: false,
      reason: `tailscale status --json has no usable Self (${where}${issue?.message ?? "invalid"})`,
    };
  }
  const { BackendState, Self } = parsed.data;
  if (BackendState !== undefined && BackendState !== "Running") {
    return { ok: false, reason: `tailscale is ${BackendState}, not Running: run tailscale up` };
  }
  return {
    ok: true,
    identity: {
      nodeId: Self.ID,
      hostname: reportableHostName(Self.HostName),
      addresses: Self.TailscaleIPs,
    },
  };
}

/**
 * Self.HostName is the OS host name, which may hold characters a DNS label may not (`my_vps`,
 * spaces, non-ASCII). The API's status schema accepts only RFC 1123 names (agent text never
 * reaches an admin unchecked), so the agent reports a sanitized name, much as Tailscale derives
 * MagicDNS names: lower case, other characters turned into hyphens, labels of at most 63
 * characters without hyphens at their ends; "node" when nothing is left.
 */
export function reportableHostName(hostName: string): string {
  const labels = hostName
    .toLowerCase()
    .split(".")
    .map((label) =>
      label
        .replace(/[^a-z0-9-]+/g, "-")
        .slice(0, 63)
        .replace(/^-+|-+$/g, ""),
    )
    .filter((label) => label.length > 0);
  const name = labels
    .join(".")
    .slice(0, 253)
    .replace(/[.-]+$/, "");
  return name || "node";
}

export async function readNodeIdentity(tailscale: TailscaleCli): Promise<IdentityRead> {
  try {
    return identityFromStatus(await tailscale.status());
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ok: false, reason: `tailscale status --json failed: ${message}` };
  }
}
