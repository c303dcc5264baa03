// Which name the doctor probes when `--probe` is not given. Never the relay's own name: its
// address is this node, and the guard drops translated traffic to the relay itself by design
// (counter guard_local), so the probe would fail on a healthy relay. A tailnet peer reached
// through a split domain takes the real path: synthesis, tayga, the guard, masquerade, out.
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";

export type ProbeChoice = { readonly name: string } | { readonly reason: string };

interface Peer {
  readonly DNSName?: string;
  readonly Online?: boolean;
  readonly ID?: string;
}

/** `status` is `tailscale status --json`; undefined when the tailscale CLI is not there. */
export function defaultProbeName(
  config: Pick<ResolvedRelayConfig, "splitDomains">,
  status: Record<string, unknown> | undefined,
): ProbeChoice {
  if (!config.splitDomains.length) return { reason: "no split domain in the config" };
  if (!status) {
    return { reason: "no --probe given, and no tailscale CLI to find a tailnet peer to probe" };
  }
  const peers = Object.values((status.Peer ?? {}) as Record<string, Peer>)
    // Online ones first, then by name, so the choice is stable from one run to the next.
    .sort(
      (a, b) =>
        Number(b.Online === true) - Number(a.Online === true) ||
        (a.DNSName ?? "").localeCompare(b.DNSName ?? ""),
    );
  for (const peer of peers) {
    const dnsName = (peer.DNSName ?? "").toLowerCase().replace(/\.$/, "");
    for (const split of config.splitDomains) {
      const suffix = `.${split.realSuffix}`;
      if (dnsName.endsWith(suffix) && dnsName.length > suffix.length) {
        return { name: `${dnsName.slice(0, -suffix.length)}.${split.name}` };
      }
    }
  }
  return {
    reason: `no --probe given, and no tailnet peer under ${config.splitDomains.map((split) => split.realSuffix).join(", ")} to probe (this relay's own name would only meet the guard)`,
  };
}
