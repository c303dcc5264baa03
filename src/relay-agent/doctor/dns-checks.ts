// Judges the answers to one AAAA probe over UDP and TCP, naming the cause of each failure
// (the seed's troubleshooting table). Pure.
import { type Cidr, cidrContains, formatCidr, parseIpv6 } from "../../core/ip.ts";
import { type CheckResult, fail, pass } from "./check.ts";
import type { DnsProbeResult } from "./dns-probe.ts";

export interface DnsJudgeInput {
  readonly name: string;
  readonly server: string;
  readonly udp: DnsProbeResult;
  readonly tcp: DnsProbeResult;
  /** When known (on the relay): the answer must lie inside it. */
  readonly prefix?: Cidr;
}

const FIX_LISTEN =
  "start the agent (`systemctl status nat64-relay-agent`), check its `listen` addresses, and point the split domain's nameserver at the relay's Tailscale IP";

export function aaaaAddresses(result: DnsProbeResult): string[] {
  return result.ok ? result.answers.filter((a) => a.type === "AAAA").map((a) => a.data) : [];
}

function judgeOne(
  transport: "udp" | "tcp",
  input: DnsJudgeInput,
  other: DnsProbeResult,
): CheckResult {
  const id = `dns-${transport}`;
  const title = `AAAA ${input.name} over ${transport.toUpperCase()} @${input.server}`;
  const result = transport === "udp" ? input.udp : input.tcp;
  if (!result.ok) {
    if (other.ok) {
      const proto = transport.toUpperCase();
      return fail(
        id,
        title,
        result.message,
        `${proto} to port 53 is blocked on the way (a firewall, the tailnet ACL, or an input chain) while ${transport === "udp" ? "TCP" : "UDP"} gets through`,
        `allow ${transport} dport 53 to the relay's Tailscale IP (ACL grant and host firewall)`,
      );
    }
    return fail(
      id,
      title,
      result.message,
      `nothing answers DNS at ${input.server}: the agent is not running or not listening there, or the split DNS nameserver is the wrong address`,
      FIX_LISTEN,
    );
  }
  if (result.rcode === "REFUSED") {
    return fail(
      id,
      title,
      "REFUSED",
      "the relay refused this source: its address is outside `allowFrom`, or the name is outside every split domain",
      "add the client's tailnet range to `allowFrom` and make sure the tailnet ACL/grants let the client reach the relay and the prefix",
    );
  }
  if (result.rcode === "SERVFAIL") {
    return fail(
      id,
      title,
      "SERVFAIL",
      "the relay could not get an answer from its upstream resolvers",
      "check `upstreams` (MagicDNS 100.100.100.100 needs tailscaled running on the relay)",
    );
  }
  if (result.rcode === "NXDOMAIN") {
    return fail(
      id,
      title,
      "NXDOMAIN",
      "the real name does not exist at the upstream",
      "check the host label and the split domain's `realSuffix`",
    );
  }
  const addresses = aaaaAddresses(result);
  if (addresses.length === 0) {
    return fail(
      id,
      title,
      `${result.rcode}, no AAAA`,
      "no AAAA came back: the real name has no A record, or another server answered",
      "query the upstream for the real name's A record; check the split DNS nameserver",
    );
  }
  const prefix = input.prefix;
  if (prefix) {
    const outside = addresses.filter((address) => {
      const value = parseIpv6(address);
      return value === undefined || !cidrContains(prefix, 6, value);
    });
    if (outside.length) {
      return fail(
        id,
        title,
        `${outside.join(", ")} is outside ${formatCidr(prefix)}`,
        "the answer is not the relay's synthesis: the split DNS target is wrong, or a resolver passed the real AAAA through",
        "point the split domain's nameserver at the relay's Tailscale IP",
      );
    }
  }
  return pass(id, title, addresses.join(", "));
}

export function judgeDns(input: DnsJudgeInput): CheckResult[] {
  const checks = [judgeOne("udp", input, input.tcp), judgeOne("tcp", input, input.udp)];
  const leaked = [input.udp, input.tcp].flatMap((result) =>
    result.ok ? result.answers.filter((a) => a.type === "CNAME" || a.type === "DNAME") : [],
  );
  const title = "no CNAME/DNAME in the answer";
  if (leaked.length) {
    checks.push(
      fail(
        "no-cname",
        title,
        leaked.map((record) => `${record.type} ${record.name} → ${record.data}`).join("; "),
        "CNAME leak: the server answering follows the real zone (split DNS points at a plain resolver, not the relay), so clients learn the real name and go direct",
        "point the split domain's nameserver at the relay's Tailscale IP; the relay flattens CNAME chains itself",
      ),
    );
  } else if (input.udp.ok || input.tcp.ok) {
    checks.push(pass("no-cname", title, "only AAAA records"));
  }
  return checks;
}
