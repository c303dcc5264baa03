// `nat64-relay doctor --client host.<split> [--server addr] [--port N] [--overlay tailscale0] [--json]`.
import { parseArgs } from "node:util";
import { realExec } from "../host/exec.ts";
import { doctorExitCode, formatChecks } from "./check.ts";
import { runClientDoctor } from "./client-doctor.ts";
import { queryDns } from "./dns-probe.ts";
import { pingWith, routeDeviceWith, tcpConnect } from "./probes.ts";

const USAGE = `Usage: nat64-relay doctor --client host.<split> [options]

Checks, on a client: the system resolver answers AAAA in the relay's prefix over UDP and TCP
with no CNAME, a route to it goes over the overlay, and ICMP and TCP reach the target.

Options:
  --server ADDR      DNS server to ask (default: first nameserver in /etc/resolv.conf)
  --port N           also open a TCP connection to this port of the target
  --overlay IFACE    the overlay interface (default tailscale0)
  --json             machine-readable output`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      client: { type: "string" },
      server: { type: "string" },
      port: { type: "string" },
      overlay: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || typeof values.client !== "string") {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const port = typeof values.port === "string" ? Number(values.port) : undefined;
  const checks = await runClientDoctor({
    name: values.client,
    overlayInterface: typeof values.overlay === "string" ? values.overlay : "tailscale0",
    query: queryDns,
    routeDevice: routeDeviceWith(realExec),
    ping: pingWith(realExec),
    tcpConnect: (address, p) => tcpConnect(address, p),
    ...(typeof values.server === "string" ? { server: values.server } : {}),
    ...(port !== undefined && Number.isInteger(port) ? { tcpPort: port } : {}),
  });
  const code = doctorExitCode(checks);
  console.log(
    values.json ? JSON.stringify({ ok: code === 0, checks }, null, 2) : formatChecks(checks),
  );
  return code;
}
