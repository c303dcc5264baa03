// What a namespace looks like from the outside: links, addresses, routes, nftables, forwarding.
// Two snapshots are equal when the agent left nothing behind.
import type { Lab, Role } from "./topology.ts";

export async function netnsSnapshot(lab: Lab, role: Role): Promise<Record<string, string>> {
  const run = async (command: string, args: string[]) =>
    (await lab.exec(role, command, args)).stdout;
  return {
    links: await run("ip", ["-br", "link", "show"]),
    addresses: await run("ip", ["-br", "address", "show"]),
    routes4: await run("ip", ["-4", "route", "show", "table", "all"]),
    routes6: await run("ip", ["-6", "route", "show", "table", "all"]),
    nftables: await run("nft", ["list", "ruleset"]),
    sysctls: await run("sysctl", ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]),
  };
}
