// `nat64-relay doctor --client host.<split> [--server ip[:port]] [--port N] [--overlay IFACE]
// [--json]` (also reachable as `nat64-relay agent doctor --client ...`). Strict options: a
// mistake exits 2 naming it; a failed check exits 1.
import { type Options, parseStrict, USAGE_EXIT, type Values } from "../../cli-args.ts";
import { type HostPort, parseHostPort } from "../../core/host-port.ts";
import { realExec } from "../host/exec.ts";
import { doctorExitCode, formatChecks } from "./check.ts";
import { runClientDoctor } from "./client-doctor.ts";
import { queryDns } from "./dns-probe.ts";
import { pingWith, routeDeviceWith, tcpConnect } from "./probes.ts";

const USAGE_LINE =
  "Usage: nat64-relay doctor --client HOST.SPLIT [--server ADDR] [--port N] [--overlay IFACE] [--json]";

const USAGE = `${USAGE_LINE}

Checks, on a client: the system resolver answers AAAA in the relay's prefix over UDP and TCP
with no CNAME, a route to it goes over the overlay, and ICMP and TCP reach the target.

Options:
  --client HOST.SPLIT  the name to check, e.g. my-vps.r9929
  --server ADDR        DNS server to ask: ip, ip:port or [ipv6]:port (default: the first
                       nameserver in /etc/resolv.conf, port 53)
  --port N             also open a TCP connection to this port of the target (a refused
                       connection fails the check: nothing listens there)
  --overlay IFACE      the overlay interface (default tailscale0)
  --json               machine-readable output
  -h, --help           show this help

Exit status: 0 ok, 1 failed check, 2 usage (a bad option or argument).`;

export const CLIENT_DOCTOR_OPTIONS = {
  client: { type: "string" },
  server: { type: "string" },
  port: { type: "string" },
  overlay: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export interface ClientDoctorFlags {
  readonly name: string;
  readonly server?: HostPort;
  readonly tcpPort?: number;
  readonly overlay: string;
  readonly json: boolean;
}

/** The flags checked once at the edge: the problem in one line, or what to run. */
export function clientDoctorFlags(
  values: Values,
): { ok: true; flags: ClientDoctorFlags } | { ok: false; problem: string } {
  const name = values.client;
  if (typeof name !== "string" || name.trim() === "") {
    return { ok: false, problem: "--client HOST.SPLIT is required (the name to check)" };
  }
  let server: HostPort | undefined;
  if (typeof values.server === "string") {
    const parsed = parseHostPort(values.server, 53);
    if (!parsed.ok) return { ok: false, problem: `--server: ${parsed.reason}` };
    server = parsed.value;
  }
  let tcpPort: number | undefined;
  if (typeof values.port === "string") {
    tcpPort = Number(values.port);
    if (!/^\d+$/.test(values.port) || tcpPort < 1 || tcpPort > 65535) {
      return { ok: false, problem: `--port must be a port from 1 to 65535, got "${values.port}"` };
    }
  }
  return {
    ok: true,
    flags: {
      name: name.trim(),
      overlay: typeof values.overlay === "string" ? values.overlay : "tailscale0",
      json: values.json === true,
      ...(server ? { server } : {}),
      ...(tcpPort !== undefined ? { tcpPort } : {}),
    },
  };
}

export async function runClientDoctorCommand(flags: ClientDoctorFlags): Promise<number> {
  const checks = await runClientDoctor({
    name: flags.name,
    overlayInterface: flags.overlay,
    query: queryDns,
    routeDevice: routeDeviceWith(realExec),
    ping: pingWith(realExec),
    tcpConnect: (address, port) => tcpConnect(address, port),
    ...(flags.server ? { server: flags.server } : {}),
    ...(flags.tcpPort !== undefined ? { tcpPort: flags.tcpPort } : {}),
  });
  const code = doctorExitCode(checks);
  console.log(
    flags.json ? JSON.stringify({ ok: code === 0, checks }, null, 2) : formatChecks(checks),
  );
  return code;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseStrict(argv, CLIENT_DOCTOR_OPTIONS, false);
  if (parsed.ok && parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const checked = parsed.ok ? clientDoctorFlags(parsed.values) : parsed;
  if (!checked.ok) {
    console.error(`nat64-relay doctor: ${checked.problem}\n${USAGE_LINE}`);
    return USAGE_EXIT;
  }
  return runClientDoctorCommand(checked.flags);
}
