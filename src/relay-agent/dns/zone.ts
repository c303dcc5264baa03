// Which split zone a question falls in, and the real name it stands for. Pure.
import type { SplitDomain } from "../../core/index.ts";
import { nameToKey } from "./wire.ts";

export interface SplitZone {
  /** Normalized split suffix, e.g. "r9929". */
  readonly name: string;
  readonly realSuffix: string;
  /** Wire-form keys (see wire.ts): "\x05r9929\0". */
  readonly key: string;
  readonly realKey: string;
}

export interface ZoneMatch {
  readonly zone: SplitZone;
  /** Offset of the apex inside the question name (0 when the question is the apex). */
  readonly apexOffset: number;
  /** host.<realSuffix> as a wire-form key: what we ask the upstream for. */
  readonly realKey: string;
}

/** The set of split zones, longest suffix first so a deeper zone wins over its parent. */
export class SplitZones {
  readonly zones: readonly SplitZone[];

  constructor(domains: readonly SplitDomain[]) {
    this.zones = domains
      .map((domain) => ({
        name: domain.name,
        realSuffix: domain.realSuffix,
        key: nameToKey(domain.name),
        realKey: nameToKey(domain.realSuffix),
      }))
      .sort((a, b) => b.key.length - a.key.length);
  }

  /**
   * The zone `key` is at or below, given the label start offsets from parsing; undefined when
   * the name is outside every split zone (the server answers REFUSED).
   */
  match(key: string, labelStarts: ArrayLike<number>, labelCount: number): ZoneMatch | undefined {
    for (const zone of this.zones) {
      const apexOffset = key.length - zone.key.length;
      if (apexOffset < 0 || !key.endsWith(zone.key)) continue;
      if (!isLabelStart(apexOffset, labelStarts, labelCount)) continue;
      const realKey = apexOffset === 0 ? zone.realKey : key.slice(0, apexOffset) + zone.realKey;
      return { zone, apexOffset, realKey };
    }
    return undefined;
  }
}

function isLabelStart(offset: number, labelStarts: ArrayLike<number>, labelCount: number): boolean {
  for (let i = 0; i < labelCount; i++) if (labelStarts[i] === offset) return true;
  return false;
}
