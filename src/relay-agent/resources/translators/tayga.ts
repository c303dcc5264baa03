// tayga: a userspace NAT64 on its own tun; the kernel routes the prefix and the pool into it,
// and the nft table masquerades the pool out of the egress interfaces.
import { renderTaygaConf, TUN_DEVICE } from "../../nat64/tayga-config.ts";
import { taygaRuleset } from "../../nat64/tayga-ruleset.ts";
import type { Translator } from "./translator.ts";

export const taygaTranslator: Translator = {
  engine: "tayga",
  desired: (config, paths) => ({
    tun: { name: TUN_DEVICE },
    routes: [
      { family: 6, destination: config.prefix, device: TUN_DEVICE },
      { family: 4, destination: config.pool, device: TUN_DEVICE },
    ],
    tayga: {
      confPath: paths.taygaConf,
      dataDir: paths.taygaDataDir,
      conf: renderTaygaConf({
        tunDevice: TUN_DEVICE,
        prefix: config.prefix,
        pool: config.pool,
        dataDir: paths.taygaDataDir,
      }),
    },
  }),
  guardSide: "v4",
  ruleset: taygaRuleset,
};
