// Apply = read what the host has, diff it against the desired state, change only the
// difference. Every change is recorded so teardown can undo it; a second apply finds nothing.
import { mkdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { includesCidr, sameCidr } from "../host/cidr-text.ts";
import type { Exec } from "../host/exec.ts";
import type { IpRoute } from "../host/ip-route.ts";
import type { Nftables, NftTableSummary } from "../host/nftables.ts";
import type { Sysctl } from "../host/sysctl.ts";
import type { TailscaleCli } from "../host/tailscale-cli.ts";
import type { BpfTools } from "../resources/accelerators/fast-path/bpf-tools.ts";
import type { DesiredDataPlane, DesiredRoute } from "./desired-state.ts";
import { ipv6Prefixes, joolStatusCommand, joolTeardownCommands } from "./jool.ts";
import {
  ALLOWED_V4_SET,
  ALLOWED_V6_SET,
  deleteTableScript,
  digestFromComment,
  NFT_FAMILY,
  NFT_TABLE,
  type RenderedTable,
  replaceTableScript,
  type SetElement,
} from "./nft-ruleset.ts";
import type { DataPlaneRecord } from "./record.ts";

export interface DataPlaneHost {
  readonly nft: Nftables;
  readonly ip: IpRoute;
  readonly sysctl: Sysctl;
  /** undefined: no tailscale integration at all (same as the CLI being absent). */
  readonly tailscale?: TailscaleCli;
  /** Runs tayga --mktun and jool. */
  readonly exec: Exec;
  /** clang, tc and bpftool for the fast path; default: the real ones through exec. */
  readonly bpf?: BpfTools;
}

export type ChangeArea = "sysctl" | "file" | "tun" | "route" | "nft" | "jool" | "tailscale";

export interface Change {
  readonly area: ChangeArea;
  readonly summary: string;
  readonly run: (record: DataPlaneRecord) => Promise<DataPlaneRecord>;
}

export interface Plan {
  readonly desired: DesiredDataPlane;
  readonly changes: readonly Change[];
  /** Things skipped on purpose (no tailscale CLI, advertise: false), one line each. */
  readonly warnings: readonly string[];
  /** True when tayga must be (re)started because its config or tun changed. */
  readonly taygaRestart: boolean;
}

const sameRoute = (a: DesiredRoute, b: DesiredRoute) =>
  a.family === b.family && sameCidr(a.destination, b.destination) && a.device === b.device;

const unique = <T>(items: readonly T[]) => [...new Set(items)];

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Writes one file. Only a file that did not exist is recorded as ours (teardown removes it); one
 * that was there keeps its previous content in the record, and teardown puts that back.
 */
function fileChange(path: string, content: string, what: string): Change {
  return {
    area: "file",
    summary: `write ${path} (${what})`,
    run: async (record) => {
      const ours = record.files.includes(path) || path in record.filesBefore;
      const before = ours ? undefined : await readText(path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      if (ours) return record;
      return before === undefined
        ? { ...record, files: unique([...record.files, path]) }
        : { ...record, filesBefore: { ...record.filesBefore, [path]: before } };
    },
  };
}

/** Merges our route into the advertised list: never drops a route someone else added. */
export function mergeAdvertisedRoutes(
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const kept = current.filter((route) => !includesCidr(remove, route) || includesCidr(add, route));
  return [...kept, ...add.filter((route) => !includesCidr(kept, route))].filter(
    (route, index, all) => all.findIndex((other) => sameCidr(other, route)) === index,
  );
}

async function planSysctls(desired: DesiredDataPlane, host: DataPlaneHost): Promise<Change[]> {
  const changes: Change[] = [];
  for (const [key, value] of Object.entries(desired.sysctls)) {
    const actual = await host.sysctl.get(key);
    if (actual === value) continue;
    changes.push({
      area: "sysctl",
      summary: `sysctl ${key}: ${actual} → ${value}`,
      run: async (record) => {
        await host.sysctl.set(key, value);
        const before = key in record.sysctlsBefore ? {} : { [key]: actual };
        return { ...record, sysctlsBefore: { ...record.sysctlsBefore, ...before } };
      },
    });
  }
  return changes;
}

async function planFiles(desired: DesiredDataPlane): Promise<Change[]> {
  const changes: Change[] = [];
  if (desired.sysctlFile) {
    const { path, content } = desired.sysctlFile;
    if ((await readText(path)) !== content) changes.push(fileChange(path, content, "sysctls"));
  }
  if (desired.tayga) {
    const { confPath, conf, dataDir } = desired.tayga;
    const current = await readText(confPath);
    if (current !== conf) changes.push(fileChange(confPath, conf, "tayga.conf"));
    const pool = (text: string | undefined) => text?.match(/^dynamic-pool (\S+)$/m)?.[1];
    const map = join(dataDir, "dynamic.map");
    if (
      current !== undefined &&
      pool(current) !== pool(conf) &&
      (await readText(map)) !== undefined
    ) {
      // Client mappings into the old pool mean nothing in the new one.
      changes.push({
        area: "file",
        summary: `remove ${map} (the pool changed)`,
        run: async (record) => {
          await rm(map, { force: true });
          return record;
        },
      });
    }
    changes.push(...(await planDir(dataDir)));
  }
  return changes;
}

async function planDir(path: string): Promise<Change[]> {
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (exists) return [];
  return [
    {
      area: "file",
      summary: `create directory ${path}`,
      run: async (record) => {
        await mkdir(path, { recursive: true });
        return { ...record, dirs: unique([...record.dirs, path]) };
      },
    },
  ];
}

async function planTunAndRoutes(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
): Promise<Change[]> {
  const changes: Change[] = [];
  const tun = desired.tun;
  if (tun && desired.tayga) {
    const confPath = desired.tayga.confPath;
    const exists = await host.ip.linkExists(tun.name);
    if (!exists) {
      changes.push({
        area: "tun",
        summary: `create tun ${tun.name} (tayga --mktun)`,
        run: async (current) => {
          await host.exec("tayga", ["--mktun", "-c", confPath]);
          return { ...current, tun: tun.name };
        },
      });
    }
    if (!exists || !(await host.ip.linkUp(tun.name))) {
      changes.push({
        area: "tun",
        summary: `set ${tun.name} up`,
        run: async (current) => {
          await host.ip.setLinkUp(tun.name);
          return current;
        },
      });
    }
  } else if (record.tun && (await host.ip.linkExists(record.tun))) {
    const name = record.tun;
    changes.push({
      area: "tun",
      summary: `delete tun ${name}`,
      run: async (current) => {
        await host.ip.deleteLink(name);
        const { tun: _dropped, ...rest } = current;
        return { ...rest, routes: current.routes.filter((route) => route.device !== name) };
      },
    });
  }
  const devices = unique([...desired.routes, ...record.routes].map((route) => route.device));
  const actual = (await Promise.all(devices.map((device) => host.ip.routes(device)))).flat();
  for (const route of desired.routes) {
    if (actual.some((existing) => sameRoute(existing, route))) continue;
    changes.push({
      area: "route",
      summary: `add route ${route.destination} dev ${route.device}`,
      run: async (current) => {
        await host.ip.addRoute(route);
        return {
          ...current,
          routes: [...current.routes.filter((r) => !sameRoute(r, route)), route],
        };
      },
    });
  }
  const deletedTun = changes.some((change) => change.summary.startsWith("delete tun"))
    ? record.tun
    : undefined;
  for (const route of record.routes) {
    if (desired.routes.some((wanted) => sameRoute(wanted, route))) continue;
    if (!actual.some((existing) => sameRoute(existing, route))) continue;
    // Routes through a tun that is deleted go with it.
    if (route.device === deletedTun) continue;
    changes.push({
      area: "route",
      summary: `delete route ${route.destination} dev ${route.device}`,
      run: async (current) => {
        await host.ip.deleteRoute(route);
        return { ...current, routes: current.routes.filter((r) => !sameRoute(r, route)) };
      },
    });
  }
  return changes;
}

async function liveElements(host: DataPlaneHost, set: string): Promise<SetElement[]> {
  const elements = await host.nft.elements(NFT_FAMILY, NFT_TABLE, set).catch(() => []);
  return elements
    .filter((element) => element.expiresSeconds !== undefined && element.expiresSeconds > 0)
    .map((element) => ({ address: element.address, timeoutSeconds: element.expiresSeconds ?? 1 }));
}

/**
 * Whether the table on the host is the one we render: same digest in its comment and the same
 * rule count per chain (a hand edit that keeps the comment is still noticed).
 */
export function tableMatches(actual: NftTableSummary | undefined, wanted: RenderedTable): boolean {
  return (
    actual !== undefined &&
    digestFromComment(actual.comment) === wanted.digest &&
    Object.entries(wanted.ruleCounts).every(([chain, count]) => actual.chains[chain] === count) &&
    Object.keys(actual.chains).length === Object.keys(wanted.ruleCounts).length
  );
}

async function planNft(desired: DesiredDataPlane, host: DataPlaneHost): Promise<Change[]> {
  const actual = await host.nft.table(NFT_FAMILY, NFT_TABLE);
  const wanted = desired.nft;
  if (!wanted) {
    if (!actual) return [];
    return [
      {
        area: "nft",
        summary: `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
        run: async (record) => {
          await host.nft.run(deleteTableScript());
          return { ...record, nftTable: false };
        },
      },
    ];
  }
  if (tableMatches(actual, wanted)) return [];
  const reason = actual ? "replace (differs from desired)" : "create";
  return [
    {
      area: "nft",
      summary: `${reason} table ${NFT_FAMILY} ${NFT_TABLE} (one nft -f transaction)`,
      run: async (record) => {
        const keep = {
          v4: await liveElements(host, ALLOWED_V4_SET),
          v6: await liveElements(host, ALLOWED_V6_SET),
        };
        await host.nft.run(replaceTableScript(wanted, keep));
        return { ...record, nftTable: true };
      },
    },
  ];
}

async function planJool(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
): Promise<Change[]> {
  const running = await host
    .exec(joolStatusCommand()[0] ?? "jool", joolStatusCommand().slice(1))
    .then(
      (result) => result.stdout,
      () => undefined,
    );
  if (desired.jool) {
    if (running !== undefined && includesCidr(ipv6Prefixes(running), desired.prefix)) return [];
    const commands = desired.jool.commands;
    return [
      {
        area: "jool",
        summary: commands.map((command) => command.join(" ")).join("; "),
        run: async (current) => {
          if (running !== undefined) {
            for (const [command, ...args] of joolTeardownCommands())
              await host.exec(command ?? "", args);
          }
          for (const [command, ...args] of commands) await host.exec(command ?? "", args);
          return { ...current, jool: true };
        },
      },
    ];
  }
  if (!record.jool || running === undefined) return [];
  return [
    {
      area: "jool",
      summary: joolTeardownCommands()
        .map((command) => command.join(" "))
        .join("; "),
      run: async (current) => {
        for (const [command, ...args] of joolTeardownCommands())
          await host.exec(command ?? "", args);
        return { ...current, jool: false };
      },
    },
  ];
}

async function planTailscale(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
  warnings: string[],
): Promise<Change[]> {
  const wanted = desired.advertiseRoute;
  const stale = record.advertisedRoutes.filter((route) => !wanted || !sameCidr(route, wanted));
  if (!host.tailscale || !(await host.tailscale.available())) {
    if (wanted) {
      warnings.push(
        `tailscale CLI not found: not advertising ${wanted}; run \`tailscale set --advertise-routes=<current routes>,${wanted}\` yourself or install tailscale`,
      );
    }
    return [];
  }
  if (!wanted && desired.engine !== "none") {
    warnings.push(
      `advertise: false: not advertising ${desired.prefix}; clients need a route to it (subnet route or your own routing)`,
    );
  }
  const tailscale = host.tailscale;
  const current = await tailscale.advertisedRoutes();
  const add = wanted && !includesCidr(current, wanted) ? [wanted] : [];
  const remove = stale.filter((route) => includesCidr(current, route));
  if (add.length === 0 && remove.length === 0) return [];
  const next = mergeAdvertisedRoutes(current, add, remove);
  const parts = [...add.map((r) => `+${r}`), ...remove.map((r) => `-${r}`)].join(" ");
  return [
    {
      area: "tailscale",
      summary: `tailscale set --advertise-routes=${next.join(",")} (${parts}; was ${current.join(",") || "none"})`,
      run: async (current) => {
        // Read again right before the write: the list may have changed since planning.
        const latest = await tailscale.advertisedRoutes();
        await tailscale.setAdvertisedRoutes(mergeAdvertisedRoutes(latest, add, remove));
        return {
          ...current,
          advertisedRoutes: unique([
            ...current.advertisedRoutes.filter((r) => !includesCidr(remove, r)),
            ...add,
          ]),
        };
      },
    },
  ];
}

export async function planDataPlane(
  desired: DesiredDataPlane,
  host: DataPlaneHost,
  record: DataPlaneRecord,
): Promise<Plan> {
  const warnings: string[] = [];
  const files = await planFiles(desired);
  const tunAndRoutes = await planTunAndRoutes(desired, host, record);
  const jool =
    desired.engine === "jool" || record.jool ? await planJool(desired, host, record) : [];
  const changes = [
    ...(await planSysctls(desired, host)),
    ...files,
    ...tunAndRoutes,
    ...jool,
    ...(await planNft(desired, host)),
    ...(await planTailscale(desired, host, record, warnings)),
  ];
  const taygaRestart =
    files.some((change) => change.summary.includes("tayga.conf")) ||
    tunAndRoutes.some((change) => change.area === "tun");
  return { desired, changes, warnings, taygaRestart };
}

/** Runs the changes in order; the record is saved after each step so a failure loses nothing. */
export async function applyPlan(
  plan: Plan,
  record: DataPlaneRecord,
  save: (record: DataPlaneRecord) => Promise<void>,
): Promise<DataPlaneRecord> {
  let current = record;
  for (const change of plan.changes) {
    current = await change.run(current);
    await save(current);
  }
  return current;
}

/**
 * Undoes everything the record says apply did: table, routes, tun, jool, sysctl values,
 * files, advertised routes. Best effort per item; the failures are returned.
 */
export async function teardownDataPlane(
  host: DataPlaneHost,
  record: DataPlaneRecord,
): Promise<{ done: string[]; failed: string[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  const step = async (summary: string, action: () => Promise<unknown>) => {
    try {
      await action();
      done.push(summary);
    } catch (error) {
      failed.push(`${summary}: ${(error as Error).message}`);
    }
  };
  if (record.nftTable && (await host.nft.table(NFT_FAMILY, NFT_TABLE).catch(() => undefined))) {
    await step(`delete table ${NFT_FAMILY} ${NFT_TABLE}`, () => host.nft.run(deleteTableScript()));
  }
  if (record.jool) {
    for (const [command, ...args] of joolTeardownCommands()) {
      await step([command, ...args].join(" "), () => host.exec(command ?? "", args));
    }
  }
  for (const route of record.routes) {
    const present = (await host.ip.routes(route.device).catch(() => [])).some((r) =>
      sameRoute(r, route),
    );
    if (present) {
      await step(`delete route ${route.destination} dev ${route.device}`, () =>
        host.ip.deleteRoute(route),
      );
    }
  }
  const tun = record.tun;
  if (tun && (await host.ip.linkExists(tun).catch(() => false))) {
    await step(`delete tun ${tun}`, () => host.ip.deleteLink(tun));
  }
  for (const [key, value] of Object.entries(record.sysctlsBefore)) {
    await step(`sysctl ${key} = ${value} (as before)`, () => host.sysctl.set(key, value));
  }
  for (const file of record.files) {
    await step(`remove ${file}`, () => rm(file, { force: true }));
  }
  for (const [file, content] of Object.entries(record.filesBefore)) {
    await step(`restore ${file} (as before)`, () => writeFile(file, content));
  }
  for (const dir of [...record.dirs].reverse()) {
    await step(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  }
  const tailscale = host.tailscale;
  if (record.advertisedRoutes.length && tailscale && (await tailscale.available())) {
    await step(`stop advertising ${record.advertisedRoutes.join(",")}`, async () => {
      const current = await tailscale.advertisedRoutes();
      await tailscale.setAdvertisedRoutes(
        mergeAdvertisedRoutes(current, [], record.advertisedRoutes),
      );
    });
  }
  return { done, failed };
}

/** Removes a directory only when empty (we never delete what someone else put there). */
export async function removeIfEmpty(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch {
    return false;
  }
}
