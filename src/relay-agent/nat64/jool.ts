// Jool (kernel NAT64) as an engine: the commands the agent runs when `modprobe jool` works.
// Jool's netfilter mode translates in prerouting and masquerades from the node's own addresses
// (pool4 left empty), so no tun, routes or masquerade rule are needed (docs/design.md, "tayga
// and Jool").

export const JOOL_INSTANCE = "nat64_relay";

/** The ports Jool takes on the node's own addresses when pool4 is empty (its default). */
export const JOOL_POOL4_PORTS = "61001-65535";

export function joolSetupCommands(prefix: string): string[][] {
  return [
    ["modprobe", "jool"],
    ["jool", "instance", "add", JOOL_INSTANCE, "--netfilter", "--pool6", prefix],
  ];
}

export function joolTeardownCommands(): string[][] {
  return [["jool", "instance", "remove", JOOL_INSTANCE]];
}

/** The IPv6 prefixes in `jool global display` output (pool6 among them), as printed. */
export function ipv6Prefixes(display: string): string[] {
  return display.match(/[0-9a-f]*:[0-9a-f:]*\/\d{1,3}/gi) ?? [];
}

/** `jool -i nat64_relay global display` prints pool6; used to see whether the instance matches. */
export function joolStatusCommand(): string[] {
  return ["jool", "-i", JOOL_INSTANCE, "global", "display"];
}
