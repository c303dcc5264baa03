// Shared by the resource tests: everything a fake host holds, and the files under a root, as
// one plain value, so "the host is as it was" is one exact comparison.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { HostPaths } from "../../../src/relay-agent/host/paths.ts";
import { readRecord } from "../../../src/relay-agent/resources/record.ts";
import type { FakeHost } from "../../fakes/fake-host.ts";

/** Files and directories under root, but not the record or the directories made to hold it. */
async function tree(
  root: string,
  record: string,
  stateDirs: readonly string[],
): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (path === record) continue;
      if (entry.isDirectory()) {
        if (!stateDirs.includes(path)) result[`${relative(root, path)}/`] = "";
        await walk(path);
      } else {
        result[relative(root, path)] = await readFile(path, "utf8");
      }
    }
  };
  await walk(root);
  return result;
}

/**
 * The host and the files, without the record (compared on its own) and the state directories
 * made to hold it: those stay until `agent uninstall`, which removes them when empty.
 */
export async function hostState(host: FakeHost, paths: HostPaths) {
  const jool = await host.exec("jool", ["-i", "nat64_relay", "global", "display"]).then(
    (result) => result.stdout,
    () => "no instance",
  );
  host.commands.pop();
  return withoutRoot(paths.root, {
    sysctls: Object.fromEntries(host.sysctl.values),
    links: Object.fromEntries([...host.ip.links].map(([name, link]) => [name, { ...link }])),
    // The kernel lists routes in its own order; which routes exist is what counts.
    routes: byDestination(host.ip.routeTable),
    nft: Object.fromEntries(
      [...host.nft.tables].map(([name, table]) => [
        name,
        {
          comment: table.comment,
          chains: Object.fromEntries([...table.chains].map(([c, v]) => [c, [...v.rules]])),
        },
      ]),
    ),
    advertised: [...host.tailscale.routes],
    jool,
    tayga: [...host.tayga.pids.keys()],
    // Program ids differ between hosts; what is attached where, and which maps hold what, not.
    bpf: {
      clsact: [...host.bpf.clsact].sort(),
      filters: Object.fromEntries(
        [...host.bpf.filters].map(([device, program]) => [device, program.objectName]),
      ),
      maps: [...host.bpf.kernelMaps.values()]
        .map((map) => `${map.name}: ${map.entries.size} entries`)
        .sort(),
    },
    files: await tree(
      paths.root,
      paths.dataPlaneRecord,
      (await readRecord(paths.dataPlaneRecord)).stateDirs,
    ),
  });
}

const byDestination = <T extends { family: number; destination: string }>(routes: readonly T[]) =>
  [...routes].sort((a, b) =>
    `${a.family} ${a.destination}`.localeCompare(`${b.family} ${b.destination}`),
  );

/** Two hosts under different temporary roots compare equal when only the root differs. */
function withoutRoot<T>(root: string, value: T): T {
  return JSON.parse(JSON.stringify(value).split(root).join("<root>")) as T;
}

/** The record apart from the state directories it had to create (kept until uninstall). */
export async function recordContent(paths: HostPaths) {
  const { stateDirs: _kept, ...rest } = await readRecord(paths.dataPlaneRecord);
  return withoutRoot(paths.root, { ...rest, routes: byDestination(rest.routes) });
}
