// What a namespace looks like from the outside: links, addresses, routes, nftables, forwarding.
// Two snapshots are equal when the agent left nothing behind.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
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

/** Every file and directory under a root, with file contents: what the agent left on disk. */
export async function treeSnapshot(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        result[`${relative(root, path)}/`] = "";
        await walk(path);
      } else {
        result[relative(root, path)] = await readFile(path, "utf8");
      }
    }
  };
  await walk(root);
  return result;
}
