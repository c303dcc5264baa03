// jool: kernel NAT64 in netfilter mode; no tun and no routes of its own.
import { joolSetupCommands } from "../../nat64/jool.ts";
import type { Translator } from "./translator.ts";

export const joolTranslator: Translator = {
  engine: "jool",
  desired: (config) => ({ routes: [], jool: { commands: joolSetupCommands(config.prefix) } }),
};
