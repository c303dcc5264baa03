// Every translator, keyed by the config's `engine`: the one place that maps the name. Adding a
// translator is one file in this folder and one line here (see README.md).
import type { Nat64Engine, Nat64Translator } from "../../../core/config/engine.ts";
import type { ResolvedRelayConfig } from "../../../core/config/resolved-relay-config.ts";
import type { DataPlaneHost } from "../data-plane-host.ts";
import { joolTranslator } from "./jool.ts";
import { taygaTranslator } from "./tayga.ts";
import type { Translator } from "./translator.ts";

export const TRANSLATORS: Readonly<Record<Nat64Translator, Translator>> = {
  tayga: taygaTranslator,
  jool: joolTranslator,
};

/** The translator an engine names; undefined for engine none (DNS only, no data plane). */
export function translatorFor(engine: Nat64Engine): Translator | undefined {
  return (TRANSLATORS as Partial<Record<Nat64Engine, Translator>>)[engine];
}

/** Probes a translator's requirement; `agent run` and the tests may answer it themselves. */
export type TranslatorProbe = (translator: Translator, host: DataPlaneHost) => Promise<boolean>;

const probeHost: TranslatorProbe = (translator, host) =>
  translator.requires?.probe(host) ?? Promise.resolve(true);

/**
 * The config with the translator this host can run: a translator whose requirement fails is
 * replaced by its fallback, with one warning that says so.
 */
export async function usableTranslator(
  config: ResolvedRelayConfig,
  host: DataPlaneHost,
  probe: TranslatorProbe = probeHost,
): Promise<{ config: ResolvedRelayConfig; warnings: string[] }> {
  const translator = translatorFor(config.engine);
  const requires = translator?.requires;
  if (!translator || !requires || (await probe(translator, host))) return { config, warnings: [] };
  return {
    config: { ...config, engine: requires.fallback },
    warnings: [
      `engine ${translator.engine}: ${requires.failure}, using ${requires.fallback} instead`,
    ],
  };
}
