// Does the agent listen where split DNS sends the queries? The admin console's split-DNS
// nameserver is one of this node's Tailscale IPs, and resolvers ask it on port 53 (no port can be
// configured there). A `listen` such as 127.0.0.1:5353 answers a local dig but no client.
import { formatHostPort, type HostPort, parseHostPort } from "../../core/host-port.ts";
import { type CheckResult, fail, pass, warn } from "./check.ts";

const TITLE = "DNS listens on this node's Tailscale IPs, port 53 (where split DNS asks)";

const WILDCARD: Readonly<Record<4 | 6, string>> = { 4: "0.0.0.0", 6: "::" };

function parsed(listen: readonly string[]): HostPort[] {
  return listen.flatMap((text) => {
    const result = parseHostPort(text, 53);
    return result.ok ? [result.value] : [];
  });
}

/** The Tailscale addresses a `listen` entry answers on port 53 (a wildcard answers them all). */
export function coveredTailscaleAddresses(
  listen: readonly string[],
  tailscaleIps: readonly string[],
): HostPort[] {
  const entries = parsed(listen).filter((entry) => entry.port === 53);
  return tailscaleIps.flatMap((ip) => {
    const family = ip.includes(":") ? 6 : 4;
    const covered = entries.some(
      (entry) =>
        entry.family === family &&
        (entry.host.toLowerCase() === ip.toLowerCase() || entry.host === WILDCARD[family]),
    );
    return covered ? [{ host: ip, family, port: 53 } as HostPort] : [];
  });
}

/** `tailscaleIps` undefined: the tailscale CLI is not there, so the check cannot run. */
export function listenCheck(
  listen: readonly string[],
  tailscaleIps: readonly string[] | undefined,
): CheckResult {
  if (!tailscaleIps?.length) {
    return warn(
      "listen",
      TITLE,
      tailscaleIps
        ? "tailscale reports no IP for this node: cannot check"
        : "tailscale CLI not found: cannot check",
      "make sure split DNS names an address in `listen`, on port 53",
    );
  }
  const covered = coveredTailscaleAddresses(listen, tailscaleIps);
  const wanted = tailscaleIps.map((ip) =>
    formatHostPort({ host: ip, family: ip.includes(":") ? 6 : 4, port: 53 }),
  );
  if (!covered.length) {
    return fail(
      "listen",
      TITLE,
      `listen is ${listen.join(", ") || "empty"}; not ${wanted.join(" or ")}`,
      "split DNS sends the split domain's queries to this node's Tailscale IP on port 53, where the agent does not answer: clients get no AAAA (a local dig on the listen address still works)",
      `leave \`listen\` out of the config (it defaults to this node's Tailscale IPs on port 53), or add ${wanted.map((address) => `"${address}"`).join(", ")}`,
    );
  }
  const missing = wanted.filter(
    (address) => !covered.some((entry) => formatHostPort(entry) === address),
  );
  return pass(
    "listen",
    TITLE,
    `${covered.map(formatHostPort).join(", ")}${missing.length ? ` (not ${missing.join(", ")}: split DNS must name the one listened on)` : ""}`,
  );
}
