// The data plane the host should have, as a pure function of the resolved config: the parts
// every translator needs (forwarding, the nft table, the advertised route), the translator's
// own part, and the accelerators' parts. See docs/design.md, "The agent's pipeline".
import type { Nat64Engine } from "../../core/config/engine.ts";
import type { ResolvedRelayConfig } from "../../core/config/resolved-relay-config.ts";
import type { HostPaths } from "../host/paths.ts";
import { type RenderedTable, renderNftTable } from "../nat64/nft-ruleset.ts";
import { TUN_DEVICE } from "../nat64/tayga-config.ts";
import { desiredAccelerations } from "./accelerators/index.ts";
import { translatorFor } from "./translators/index.ts";

export interface DesiredRoute {
  readonly family: 4 | 6;
  readonly destination: string;
  readonly device: string;
}

export interface DesiredDataPlane {
  readonly engine: Nat64Engine;
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
  /** Each enabled accelerator's own desired slice, by accelerator name (absent: none on). */
  readonly accelerators?: Readonly<Record<string, unknown>>;
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

/** Nothing on the host: what engine none wants, and what teardown applies. */
export function emptyDataPlane(base: { prefix: string; pool: string }): DesiredDataPlane {
  return { engine: "none", prefix: base.prefix, pool: base.pool, routes: [], sysctls: {} };
}

export function desiredDataPlane(config: ResolvedRelayConfig, paths: HostPaths): DesiredDataPlane {
  const translator = translatorFor(config.engine);
  if (!translator) return emptyDataPlane(config);
  const advertiseRoute = config.advertise ? config.prefix : undefined;
  const withTranslator: DesiredDataPlane = {
    engine: translator.engine,
    prefix: config.prefix,
    pool: config.pool,
    sysctls: FORWARDING_SYSCTLS,
    sysctlFile: { path: paths.sysctlFile, content: sysctlFileContent(FORWARDING_SYSCTLS) },
    ...(advertiseRoute ? { advertiseRoute } : {}),
    nft: renderNftTable({
      translator,
      pool: config.pool,
      prefix: config.prefix,
      tunDevice: TUN_DEVICE,
      egressInterfaces: config.egressInterfaces,
      overlayInterface: config.overlayInterface,
      allowFrom: config.allowFrom,
    }),
    ...translator.desired(config, paths),
  };
  const accelerators = desiredAccelerations(config, withTranslator);
  return accelerators ? { ...withTranslator, accelerators } : withTranslator;
}
