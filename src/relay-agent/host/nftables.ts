// nftables behind a small interface: the real one runs `nft`, the fake (test/fakes) keeps tables
// in memory. Only whole scripts are applied, so every change is one atomic transaction.
import type { Exec } from "./exec.ts";

export interface NftTableSummary {
  readonly comment?: string;
  /** Rule count per chain. */
  readonly chains: Readonly<Record<string, number>>;
}

export interface NftCounter {
  readonly packets: number;
  readonly bytes: number;
}

export interface NftSetElement {
  readonly address: string;
  /** Seconds left before the element expires; undefined when it never does. */
  readonly expiresSeconds?: number;
}

/**
 * A base chain of any table, as doctor needs it to spot drops outside our table (an accept of
 * ours does not override them: docs/design.md, "Netfilter and the host").
 */
export interface NftBaseChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly hook: string;
  readonly policy: string;
  readonly dropRules: number;
}

export interface Nftables {
  /** undefined when the table does not exist. */
  table(family: string, name: string): Promise<NftTableSummary | undefined>;
  /** Applies a script with `nft -f -`: all of it or nothing. */
  run(script: string): Promise<void>;
  counters(family: string, table: string): Promise<Record<string, NftCounter>>;
  elements(family: string, table: string, set: string): Promise<NftSetElement[]>;
  baseChains(): Promise<NftBaseChain[]>;
}

type NftObject = Record<string, Record<string, unknown>>;

function isMissing(error: unknown): boolean {
  return /No such file or directory|does not exist/i.test(String((error as Error).message));
}

export class RealNftables implements Nftables {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  private async listJson(args: string[]): Promise<NftObject[] | undefined> {
    try {
      const { stdout } = await this.exec("nft", ["-j", ...args]);
      return (JSON.parse(stdout) as { nftables: NftObject[] }).nftables;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async table(family: string, name: string): Promise<NftTableSummary | undefined> {
    // Terse: the health check calls this every few seconds; the guard sets' elements can be many.
    const objects = await this.listJson(["-t", "list", "table", family, name]);
    if (!objects) return undefined;
    const chains: Record<string, number> = {};
    // nft 1.0.6 leaves the table comment out of its JSON: read it from the terse text listing.
    const { stdout } = await this.exec("nft", ["-t", "list", "table", family, name]);
    const comment = stdout.match(/^\s*comment "((?:[^"\\]|\\.)*)"/m)?.[1];
    for (const object of objects) {
      if (object.chain) chains[String(object.chain.name)] ??= 0;
      if (object.rule) {
        const chain = String(object.rule.chain);
        chains[chain] = (chains[chain] ?? 0) + 1;
      }
    }
    return comment === undefined ? { chains } : { comment, chains };
  }

  async run(script: string): Promise<void> {
    await this.exec("nft", ["-f", "-"], { input: script });
  }

  async counters(family: string, table: string): Promise<Record<string, NftCounter>> {
    const objects = (await this.listJson(["list", "counters", "table", family, table])) ?? [];
    const result: Record<string, NftCounter> = {};
    for (const { counter } of objects) {
      if (!counter) continue;
      result[String(counter.name)] = {
        packets: Number(counter.packets),
        bytes: Number(counter.bytes),
      };
    }
    return result;
  }

  async elements(family: string, table: string, set: string): Promise<NftSetElement[]> {
    const objects = (await this.listJson(["list", "set", family, table, set])) ?? [];
    const result: NftSetElement[] = [];
    for (const { set: found } of objects) {
      for (const item of (found?.elem as unknown[] | undefined) ?? []) {
        if (typeof item === "string") {
          result.push({ address: item });
          continue;
        }
        const elem = (item as { elem?: { val: string; expires?: number } }).elem;
        if (!elem) continue;
        result.push(
          elem.expires === undefined
            ? { address: elem.val }
            : { address: elem.val, expiresSeconds: elem.expires },
        );
      }
    }
    return result;
  }

  async baseChains(): Promise<NftBaseChain[]> {
    const objects = (await this.listJson(["list", "ruleset"])) ?? [];
    const chains = new Map<string, NftBaseChain>();
    const key = (family: unknown, table: unknown, name: unknown) => `${family} ${table} ${name}`;
    for (const { chain } of objects) {
      if (!chain?.hook) continue;
      chains.set(key(chain.family, chain.table, chain.name), {
        family: String(chain.family),
        table: String(chain.table),
        name: String(chain.name),
        hook: String(chain.hook),
        policy: String(chain.policy ?? "accept"),
        dropRules: 0,
      });
    }
    for (const { rule } of objects) {
      if (!rule) continue;
      const found = chains.get(key(rule.family, rule.table, rule.chain));
      if (!found) continue;
      const expr = JSON.stringify(rule.expr ?? []);
      if (expr.includes('"drop"') || expr.includes('"reject"')) {
        chains.set(key(rule.family, rule.table, rule.chain), {
          ...found,
          dropRules: found.dropRules + 1,
        });
      }
    }
    return [...chains.values()];
  }
}
