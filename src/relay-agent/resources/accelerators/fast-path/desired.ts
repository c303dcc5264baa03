// The fast path's slice of the desired state: a pure function of the config and the
// translator's part. On for `fastPath: auto` with tayga (it attaches to tayga's tun); off for
// `fastPath: off`, Jool (already in the kernel) and engine none.
import { dirname, join } from "node:path";
import type { ResolvedRelayConfig } from "../../../../core/config/resolved-relay-config.ts";
import { DYNAMIC_MAP_FILE } from "./dynamic-map.ts";
import type { FastPathDesired } from "./fast-path-state.ts";

export const FAST_PATH = "fastPath";

export interface TranslatorPart {
  readonly engine: string;
  readonly prefix: string;
  readonly pool: string;
  readonly tun?: { readonly name: string };
  readonly tayga?: { readonly confPath: string; readonly dataDir: string };
}

export function desiredFastPath(
  config: Pick<ResolvedRelayConfig, "fastPath">,
  dataPlane: TranslatorPart,
): FastPathDesired | undefined {
  if (config.fastPath === "off" || dataPlane.engine !== "tayga") return undefined;
  if (!dataPlane.tun || !dataPlane.tayga) return undefined;
  return {
    device: dataPlane.tun.name,
    prefix: dataPlane.prefix,
    pool: dataPlane.pool,
    dynamicMap: join(dataPlane.tayga.dataDir, DYNAMIC_MAP_FILE),
    // Beside tayga.conf, in the agent's state directory.
    objectDir: join(dirname(dataPlane.tayga.confPath), "bpf"),
  };
}
