// When a relay node counts as up: it reported within 3 report intervals (docs/managed.md). A
// node that is down is shown `down` in /v1/status and is neither a split DNS nameserver nor a
// route target until it reports again. One predicate, used by the reconciler and the status verb.
import type { Database } from "../storage/database.ts";
import { listRelayNodes, type RelayNodeRecord } from "../storage/relays.ts";

/** Missed reports before a node is down: one lost report is not an outage. */
export const MISSED_REPORTS_UNTIL_DOWN = 3;

export function nodeStaleSecondsOf(reportIntervalSeconds: number): number {
  return reportIntervalSeconds * MISSED_REPORTS_UNTIL_DOWN;
}

export function isNodeUp(
  node: Pick<RelayNodeRecord, "lastSeenAt">,
  now: Date,
  staleSeconds: number,
): boolean {
  return Date.parse(node.lastSeenAt) >= now.getTime() - staleSeconds * 1000;
}

/**
 * Notices nodes going down or coming back between reconciles: `check()` reads the nodes (from
 * the database only) and answers true when the set of up nodes differs from the last check, so
 * the caller schedules a reconcile and the nameservers shrink or grow without waiting for the
 * periodic run.
 */
export class NodeLivenessWatch {
  readonly #database: Database;
  readonly #now: () => Date;
  readonly #staleSeconds: number;
  #lastUp: string | undefined;

  constructor(database: Database, now: () => Date, staleSeconds: number) {
    this.#database = database;
    this.#now = now;
    this.#staleSeconds = staleSeconds;
  }

  async check(): Promise<boolean> {
    const now = this.#now();
    const up = (await listRelayNodes(this.#database))
      .filter((node) => isNodeUp(node, now, this.#staleSeconds))
      .map((node) => `${node.relayId}/${node.nodeId}`)
      .sort()
      .join(",");
    const changed = this.#lastUp !== undefined && up !== this.#lastUp;
    this.#lastUp = up;
    return changed;
  }
}
