// Every engine's translator, keyed by the config's `engine`: the one place that maps the name.
import type { Nat64Engine } from "../../../core/config/engine.ts";
import { joolTranslator } from "./jool.ts";
import { noTranslator } from "./none.ts";
import { taygaTranslator } from "./tayga.ts";
import type { Translator } from "./translator.ts";

export const TRANSLATORS: Readonly<Record<Nat64Engine, Translator>> = {
  tayga: taygaTranslator,
  jool: joolTranslator,
  none: noTranslator,
};
