// engine none: no translator, so the desired data plane is empty and applying it is teardown.
import type { Translator } from "./translator.ts";

export const noTranslator: Translator = { engine: "none", desired: () => undefined };
