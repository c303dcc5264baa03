// Keeps the program's maps equal to what tayga assigned: the config (prefix, pool) and both
// directions of every client pair. The diff is pure; one bpftool batch applies it, deletes
// first, so a pool address that moved to another client never points at two of them.
import type { BpfTools, MapEntry, MapWrite } from "./bpf-tools.ts";
import type { ClientMapping } from "./dynamic-map.ts";
import {
  configValue,
  formatIpv4Bytes,
  formatIpv6Bytes,
  indexKey,
  ipv4Bytes,
  ipv6Bytes,
} from "./map-codec.ts";
import { MAPS } from "./program.ts";

export interface MappedState {
  readonly config?: Buffer;
  readonly v6ToV4: ReadonlyMap<string, string>;
  readonly v4ToV6: ReadonlyMap<string, string>;
}

export interface FastPathMapIds {
  readonly config: number;
  readonly v6ToV4: number;
  readonly v4ToV6: number;
  readonly counters: number;
}

/** The map ids by role; undefined when the program lacks one (not our program). */
export function mapIdsByRole(byName: Readonly<Record<string, number>>): FastPathMapIds | undefined {
  const config = byName[MAPS.config];
  const v6ToV4 = byName[MAPS.v6ToV4];
  const v4ToV6 = byName[MAPS.v4ToV6];
  const counters = byName[MAPS.counters];
  if (config === undefined || v6ToV4 === undefined || v4ToV6 === undefined) return undefined;
  if (counters === undefined) return undefined;
  return { config, v6ToV4, v4ToV6, counters };
}

export async function readMappedState(tools: BpfTools, ids: FastPathMapIds): Promise<MappedState> {
  const pairs = (entries: MapEntry[], key: (b: Buffer) => string, value: (b: Buffer) => string) =>
    new Map(entries.map((entry) => [key(entry.key), value(entry.values[0] ?? Buffer.alloc(0))]));
  const [config, v6ToV4, v4ToV6] = await Promise.all([
    tools.dump(ids.config),
    tools.dump(ids.v6ToV4),
    tools.dump(ids.v4ToV6),
  ]);
  return {
    ...(config[0]?.values[0] ? { config: config[0].values[0] } : {}),
    v6ToV4: pairs(v6ToV4, formatIpv6Bytes, formatIpv4Bytes),
    v4ToV6: pairs(v4ToV6, formatIpv4Bytes, formatIpv6Bytes),
  };
}

export interface MapDiff {
  readonly writes: readonly MapWrite[];
  readonly added: number;
  readonly removed: number;
  readonly configChanged: boolean;
}

export function diffMaps(
  ids: FastPathMapIds,
  current: MappedState,
  wanted: {
    readonly prefix: string;
    readonly pool: string;
    readonly pairs: readonly ClientMapping[];
  },
): MapDiff {
  const config = configValue(wanted.prefix, wanted.pool);
  const configChanged = !current.config?.equals(config);
  const want6 = new Map(wanted.pairs.map((pair) => [pair.ipv6, pair.ipv4]));
  const want4 = new Map(wanted.pairs.map((pair) => [pair.ipv4, pair.ipv6]));
  const deletes: MapWrite[] = [
    ...[...current.v6ToV4.keys()]
      .filter((ipv6) => !want6.has(ipv6))
      .map((ipv6) => ({ mapId: ids.v6ToV4, key: ipv6Bytes(ipv6) })),
    ...[...current.v4ToV6.keys()]
      .filter((ipv4) => !want4.has(ipv4))
      .map((ipv4) => ({ mapId: ids.v4ToV6, key: ipv4Bytes(ipv4) })),
  ];
  const updates: MapWrite[] = [];
  for (const { ipv6, ipv4 } of wanted.pairs) {
    if (current.v6ToV4.get(ipv6) !== ipv4) {
      updates.push({ mapId: ids.v6ToV4, key: ipv6Bytes(ipv6), value: ipv4Bytes(ipv4) });
    }
    if (current.v4ToV6.get(ipv4) !== ipv6) {
      updates.push({ mapId: ids.v4ToV6, key: ipv4Bytes(ipv4), value: ipv6Bytes(ipv6) });
    }
  }
  if (configChanged) updates.push({ mapId: ids.config, key: indexKey(0), value: config });
  const added = wanted.pairs.filter((pair) => current.v6ToV4.get(pair.ipv6) !== pair.ipv4).length;
  const removed = [...current.v6ToV4.keys()].filter((ipv6) => !want6.has(ipv6)).length;
  return { writes: [...deletes, ...updates], added, removed, configChanged };
}
