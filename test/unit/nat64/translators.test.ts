import { describe, expect, it } from "vitest";
import { NAT64_ENGINES } from "../../../src/core/config/engine.ts";
import { cidr } from "../../../src/core/ip.ts";
import { allowedIpv4, allowSetOf } from "../../../src/relay-agent/nat64/guard.ts";
import { ALLOWED_V4_SET, ALLOWED_V6_SET } from "../../../src/relay-agent/nat64/nft-ruleset.ts";
import { dataPlaneResources } from "../../../src/relay-agent/resources/plan.ts";
import {
  TRANSLATORS,
  translatorFor,
  usableTranslator,
} from "../../../src/relay-agent/resources/translators/index.ts";
import type { Translator } from "../../../src/relay-agent/resources/translators/translator.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { resolvedConfig } from "./helpers.ts";

const input = {
  pool: "192.168.240.0/20",
  prefix: "fd4e:2a91:7c3d:6464::/96",
  tunDevice: "nat64relay",
  egressInterfaces: ["eth0"],
  overlayInterface: "tailscale0",
  allowFrom: ["fd7a:115c:a1e0::/48"],
};

/** The properties the rest of the agent reads instead of the engine's name. */
function properties(translator: Translator | undefined) {
  if (!translator) return undefined;
  const ruleset = translator.ruleset({ ...input, translator });
  return {
    engine: translator.engine,
    guardSide: translator.guardSide,
    ownNapt: translator.ownNapt,
    fallback: translator.requires?.fallback,
    ingress: ruleset.ingress,
    chains: ruleset.chains.map((lines) => lines[0]?.trim()),
  };
}

describe("translators", () => {
  it("each engine maps to its translator's properties; none to no translator", () => {
    expect(Object.fromEntries(NAT64_ENGINES.map((e) => [e, properties(translatorFor(e))]))).toEqual(
      {
        tayga: {
          engine: "tayga",
          guardSide: "v4",
          ownNapt: undefined,
          fallback: undefined,
          ingress: [
            'ip saddr 192.168.240.0/20 iifname != "nat64relay" counter name refused_pool drop',
          ],
          chains: ["chain forward {", "chain input {", "chain postrouting {"],
        },
        jool: {
          engine: "jool",
          guardSide: "v6",
          ownNapt: { name: "Jool", ports: "61001-65535" },
          fallback: "tayga",
          ingress: [],
          chains: ["chain prerouting {", "chain postrouting {"],
        },
        none: undefined,
      },
    );
    expect(Object.keys(TRANSLATORS)).toEqual(["tayga", "jool"]);
  });

  it("the guard side names the allow set and how its elements key back to IPv4", () => {
    const prefix = cidr(input.prefix);
    expect([allowSetOf("v4"), allowSetOf("v6")]).toEqual([ALLOWED_V4_SET, ALLOWED_V6_SET]);
    expect(allowedIpv4("v4", prefix, "198.18.1.2")).toBe("198.18.1.2");
    expect(allowedIpv4("v6", prefix, "fd4e:2a91:7c3d:6464::c612:102")).toBe("198.18.1.2");
    expect(allowedIpv4("v6", prefix, "fd00::c612:102")).toBeUndefined();
  });
});

describe("the data plane's resources", () => {
  it("run with the guard table before every translator (Jool's instance, tayga's process)", () => {
    expect(dataPlaneResources().map((resource) => resource.name)).toEqual([
      "sysctls",
      "files",
      "tun",
      "routes",
      "nft-table",
      "jool-instance",
      "tayga-process",
      "advertised-routes",
      "fast-path",
    ]);
  });
});

describe("usableTranslator", () => {
  it("jool without its kernel module: tayga instead, with one warning", async () => {
    const usable = await usableTranslator(resolvedConfig({ engine: "jool" }), fakeHost());
    expect(usable).toEqual({
      config: resolvedConfig({ engine: "tayga" }),
      warnings: ["engine jool: `modprobe jool` failed, using tayga instead"],
    });
  });

  it("jool with its module: unchanged, after `modprobe jool`", async () => {
    const host = fakeHost({ jool: true });
    const config = resolvedConfig({ engine: "jool" });
    expect(await usableTranslator(config, host)).toEqual({ config, warnings: [] });
    expect(host.commands).toEqual(["modprobe jool"]);
  });

  it("tayga and none have no requirement: nothing is probed", async () => {
    const probed: string[] = [];
    const probe = async (translator: Translator) => {
      probed.push(translator.engine);
      return false;
    };
    for (const engine of ["tayga", "none"] as const) {
      const config = resolvedConfig({ engine });
      expect(await usableTranslator(config, fakeHost(), probe)).toEqual({ config, warnings: [] });
    }
    expect(probed).toEqual([]);
  });

  it("an injected probe decides instead of the host", async () => {
    const config = resolvedConfig({ engine: "jool" });
    const usable = await usableTranslator(config, fakeHost({ jool: true }), async () => false);
    expect(usable.config.engine).toBe("tayga");
  });
});
