// `nat64-relay doctor --client host.<split>`: the client-side half. The system resolver's answer
// lies in a prefix and has no CNAME, a route to it goes over the overlay, ICMP and TCP reach.
import { readFile } from "node:fs/promises";
import { formatHostPort, type HostPort, parseHostPort } from "../../core/host-port.ts";
import { type CheckResult, fail, pass, skip } from "./check.ts";
import { aaaaAddresses, judgeDns } from "./dns-checks.ts";
import type { DnsProbe, DnsProbeResult } from "./dns-probe.ts";

export interface ClientDoctorDeps {
  readonly name: string;
  /** DNS server (`--server ip[:port]`); default: the first nameserver in /etc/resolv.conf. */
  readonly server?: HostPort;
  readonly overlayInterface: string;
  readonly tcpPort?: number;
  readonly query: (probe: DnsProbe) => Promise<DnsProbeResult>;
  /** The device `ip -6 route get` picks for the address, undefined when unreachable. */
  readonly routeDevice: (address: string) => Promise<string | undefined>;
  readonly ping: (address: string) => Promise<boolean>;
  /** "open" (connected), "refused" (the target answered with RST) or "timeout". */
  readonly tcpConnect: (address: string, port: number) => Promise<"open" | "refused" | "timeout">;
  readonly resolvConf?: string;
}

export async function systemNameserver(path = "/etc/resolv.conf"): Promise<HostPort | undefined> {
  const text = await readFile(path, "utf8").catch(() => "");
  const address = text.match(/^\s*nameserver\s+(\S+)/m)?.[1];
  const parsed = address ? parseHostPort(address, 53) : undefined;
  return parsed?.ok ? parsed.value : undefined;
}

export async function runClientDoctor(deps: ClientDoctorDeps): Promise<CheckResult[]> {
  const server = deps.server ?? (await systemNameserver(deps.resolvConf));
  if (!server) {
    return [
      fail(
        "dns-udp",
        "system resolver",
        "no nameserver in /etc/resolv.conf",
        "no resolver configured",
        "pass --server or fix /etc/resolv.conf",
      ),
    ];
  }
  const probe = (transport: "udp" | "tcp") =>
    deps.query({
      server: server.host,
      port: server.port,
      name: deps.name,
      type: "AAAA",
      transport,
    });
  const [udp, tcp] = await Promise.all([probe("udp"), probe("tcp")]);
  const checks = judgeDns({ name: deps.name, server: formatHostPort(server), udp, tcp });
  const address = [...aaaaAddresses(udp), ...aaaaAddresses(tcp)][0];
  const routeTitle = `route to the prefix over ${deps.overlayInterface}`;
  if (!address) {
    checks.push(skip("route", routeTitle, "no AAAA to check"));
    return checks;
  }
  const device = await deps.routeDevice(address);
  if (device !== deps.overlayInterface) {
    checks.push(
      fail(
        "route",
        routeTitle,
        device ? `${address} goes via ${device}` : `no route to ${address}`,
        "resolves but no traffic: the prefix route is not approved on the relay, or this client does not accept subnet routes",
        "approve the route (admin console / autoApprovers); on Linux run `tailscale set --accept-routes`; check the ACL allows the prefix",
      ),
    );
    return checks;
  }
  checks.push(pass("route", routeTitle, `${address} via ${device}`));
  const icmpTitle = `ICMP echo to ${address}`;
  const icmp = await deps.ping(address);
  checks.push(
    icmp
      ? pass("icmp", icmpTitle, "replied")
      : fail(
          "icmp",
          icmpTitle,
          "no reply",
          "the relay drops or cannot return the traffic (no masquerade, guard, tayga down) or the target ignores ICMP",
          "run `nat64-relay agent doctor` on the relay",
        ),
  );
  if (deps.tcpPort !== undefined) {
    const tcpTitle = `TCP to [${address}]:${deps.tcpPort}`;
    const reach = await deps.tcpConnect(address, deps.tcpPort);
    checks.push(
      reach === "open"
        ? pass("tcp", tcpTitle, "connected")
        : reach === "refused"
          ? // The path works (the target answered with a reset), but what was asked for does not:
            // nothing accepts connections on that port.
            fail(
              "tcp",
              tcpTitle,
              "connection refused: the target answered, but nothing listens on that port",
              "the relay path works; the service on the target is down, on another port, or rejected by the target's firewall",
              `start the service on the target, or check with --port the port it listens on`,
            )
          : fail(
              "tcp",
              tcpTitle,
              "timed out",
              "TCP does not get through the relay (one-way without masquerade, a drop in a forward chain, or the target firewall)",
              "run `nat64-relay agent doctor` on the relay",
            ),
    );
  }
  return checks;
}
