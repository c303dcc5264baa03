// The fast path's slice of the desired state: a pure function of the config and the
// translator's part. On for `fastPath: auto` when the translator is a tayga on a tun (it
// attaches to that tun and reads tayga's dynamic.map); off for `fastPath: off` and for every
// data plane without a tayga part: Jool (already in the kernel) and engine none.
import { dirname, join } from "node:path";
import type { ResolvedRelayConfig } from "../../../../core/config/resolved-relay-config.ts";
import { DYNAMIC_MAP_FILE } from "./dynamic-map.ts";
import type { FastPathDesired } from "./fast-path-state.ts";

export const FAST_PATH = "fastPath";

export interface TranslatorPart {
  readonly prefix: string;
  readonly pool: string;
  readonly tun?: { readonly name: string };
  readonly tayga?: { readonly confPath: string; readonly dataDir: string };
}

export function desiredFastPath(
  config: Pick<ResolvedRelayConfig, "fastPath">,
  dataPlane: TranslatorPart,
): FastPathDesired | undefined {
  if (config.fastPath === "off" || !dataPlane.tun || !dataPlane.tayga) return undefined;
  return {
    device: dataPlane.tun.name,
    prefix: dataPlane.prefix,
    pool: dataPlane.pool,
    dynamicMap: join(dataPlane.tayga.dataDir, DYNAMIC_MAP_FILE),
    // Beside tayga.conf, in the agent's state directory.
    objectDir: join(dirname(dataPlane.tayga.confPath), "bpf"),
  };
}
