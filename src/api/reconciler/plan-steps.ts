// Plan mode's admin-console steps (no Tailscale credentials), complete and in the order that
// works: approve the route, grant clients the prefix and the relay's DNS port, add split DNS,
// then let Linux clients accept routes (docs/api.md, "Plan mode"). What an admin is told to
// approve never comes from an agent: the prefix is the relay's own config, and the nameservers
// are the addresses the admin console shows for the node. Agent-reported text (host names,
// addresses, validated when reported) appears only quoted, as something to recognise.

export interface PlannedNode {
  readonly nodeId: string;
  readonly hostname: string;
  readonly addresses: readonly string[];
}

export interface PlannedRelay {
  readonly name: string;
  /** From the relay's config, canonical text. */
  readonly prefix: string;
  /** Nodes that report (heartbeat fresh). */
  readonly nodes: readonly PlannedNode[];
  readonly domains: readonly string[];
}

/** Agent-supplied text as a JSON string literal: quoted, newlines and quotes escaped. */
const quoted = (text: string) => JSON.stringify(text);

const machine = (node: PlannedNode) => `${quoted(node.hostname)} (node ID ${quoted(node.nodeId)})`;

function routeStep(relay: PlannedRelay, node: PlannedNode): string {
  return `Approve the route: Admin console → Machines → ${machine(node)} → ⋯ → Edit route settings… → under Subnet routes tick ${relay.prefix}; save. (Or in the policy file: "autoApprovers": {"routes": {"${relay.prefix}": ["tag:relay"]}} with the node tagged tag:relay.)`;
}

function grantStep(relay: PlannedRelay): string {
  const grants = [
    { src: ["autogroup:member"], dst: [relay.prefix], ip: ["*"] },
    { src: ["autogroup:member"], dst: ["tag:relay"], ip: ["udp:53", "tcp:53"] },
  ];
  return `Let clients reach the prefix and the relay's DNS: Admin console → Access controls → add to "grants": ${grants.map((grant) => JSON.stringify(grant)).join(", ")} (narrow src to the users or tags that should use relay "${relay.name}"; tag:relay stands for the relay's node, or use its Tailscale IPs).`;
}

function splitDnsStep(relay: PlannedRelay, domain: string): string {
  const reported = relay.nodes
    .map((node) => `${quoted(node.hostname)} reported ${node.addresses.map(quoted).join(", ")}`)
    .join("; ");
  return `Add split DNS for "${domain}": Admin console → DNS → Nameservers → Add nameserver → Custom: enter the Tailscale IPs that Machines shows for ${relay.nodes.map(machine).join(" and ")} (the agent ${reported}: use them only if Machines shows the same), turn on "Restrict to domain (Split DNS)" and enter "${domain}"; save.`;
}

export const ACCEPT_ROUTES_STEP =
  "On every Linux client: run `tailscale set --accept-routes` (Linux does not accept subnet routes by default; Windows, macOS, iOS and Android do).";

/** The steps for every relay, then the one client step when any relay is usable. */
export function planSteps(relays: readonly PlannedRelay[]): string[] {
  const steps: string[] = [];
  for (const relay of relays) {
    if (relay.nodes.length === 0) {
      if (relay.domains.length) {
        steps.push(
          `Start the agent of relay "${relay.name}" so it reports its node; then sync again for the steps that name it (route ${relay.prefix}, split DNS for ${relay.domains.map(quoted).join(", ")}).`,
        );
      }
      continue;
    }
    for (const node of relay.nodes) steps.push(routeStep(relay, node));
    steps.push(grantStep(relay));
    for (const domain of relay.domains) steps.push(splitDnsStep(relay, domain));
  }
  if (relays.some((relay) => relay.nodes.length > 0)) steps.push(ACCEPT_ROUTES_STEP);
  return steps;
}
