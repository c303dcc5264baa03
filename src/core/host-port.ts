// "host", "host:port", "[v6]:port" or a bare IPv6 address, as used by listen and upstreams.
import { type IpFamily, parseIp } from "./ip.ts";

export interface HostPort {
  readonly host: string;
  readonly family: IpFamily;
  readonly port: number;
}

export type HostPortParse = { ok: true; value: HostPort } | { ok: false; reason: string };

export function parseHostPort(text: string, defaultPort: number): HostPortParse {
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host, portText] = text.split(":") as [string, string];
  }
  const address = parseIp(host);
  if (!address) {
    return {
      ok: false,
      reason: `"${text}" is not an IP address with an optional port (write 127.0.0.1:5353 or [::1]:5353)`,
    };
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, reason: `port "${portText}" in "${text}" is not from 1 to 65535` };
  }
  return { ok: true, value: { host, family: address.family, port } };
}

export function formatHostPort({ host, family, port }: HostPort): string {
  return family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
