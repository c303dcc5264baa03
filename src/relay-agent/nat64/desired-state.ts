// The data plane the host should have, as a pure function of the resolved config (DESIGN.md §6).
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import type { HostPaths } from "../host/paths.ts";
import { joolSetupCommands } from "./jool.ts";
import { type RenderedTable, renderNftTable } from "./nft-ruleset.ts";
import { renderTaygaConf, TUN_DEVICE } from "./tayga-config.ts";

export interface DesiredRoute {
  readonly family: 4 | 6;
  readonly destination: string;
  readonly device: string;
}

export interface DesiredDataPlane {
  readonly engine: "tayga" | "jool" | "none";
  readonly prefix: string;
  readonly pool: string;
  readonly nft?: RenderedTable;
  readonly tun?: { readonly name: string };
  readonly routes: readonly DesiredRoute[];
  readonly tayga?: { readonly confPath: string; readonly conf: string; readonly dataDir: string };
  readonly jool?: { readonly commands: readonly string[][] };
  /** Runtime values, key as in sysctl(8). */
  readonly sysctls: Readonly<Record<string, string>>;
  readonly sysctlFile?: { readonly path: string; readonly content: string };
  /** The route to merge into `tailscale --advertise-routes`, when advertising. */
  readonly advertiseRoute?: string;
}

export const FORWARDING_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv4.ip_forward": "1",
  "net.ipv6.conf.all.forwarding": "1",
};

export function sysctlFileContent(sysctls: Readonly<Record<string, string>>): string {
  return [
    "# Written by nat64-relay agent: forwarding for the NAT64 data plane.",
    ...Object.entries(sysctls).map(([key, value]) => `${key} = ${value}`),
    "",
  ].join("\n");
}

export function desiredDataPlane(config: ResolvedRelayConfig, paths: HostPaths): DesiredDataPlane {
  const base = { engine: config.engine, prefix: config.prefix, pool: config.pool };
  if (config.engine === "none") return { ...base, routes: [], sysctls: {} };
  const advertiseRoute = config.advertise ? config.prefix : undefined;
  const persisted = {
    sysctls: FORWARDING_SYSCTLS,
    sysctlFile: { path: paths.sysctlFile, content: sysctlFileContent(FORWARDING_SYSCTLS) },
    ...(advertiseRoute ? { advertiseRoute } : {}),
  };
  const nft = renderNftTable({
    engine: config.engine,
    pool: config.pool,
    prefix: config.prefix,
    tunDevice: TUN_DEVICE,
    egressInterfaces: config.egressInterfaces,
    overlayInterface: config.overlayInterface,
    allowFrom: config.allowFrom,
  });
  if (config.engine === "jool") {
    return {
      ...base,
      ...persisted,
      nft,
      routes: [],
      jool: { commands: joolSetupCommands(config.prefix) },
    };
  }
  return {
    ...base,
    ...persisted,
    nft,
    tun: { name: TUN_DEVICE },
    routes: [
      { family: 6, destination: config.prefix, device: TUN_DEVICE },
      { family: 4, destination: config.pool, device: TUN_DEVICE },
    ],
    tayga: {
      confPath: paths.taygaConf,
      dataDir: paths.taygaDataDir,
      conf: renderTaygaConf({
        tunDevice: TUN_DEVICE,
        prefix: config.prefix,
        pool: config.pool,
        dataDir: paths.taygaDataDir,
      }),
    },
  };
}
