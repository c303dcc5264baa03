import { describe, expect, it } from "vitest";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { joolSetupCommands, joolTeardownCommands } from "../../../src/relay-agent/nat64/jool.ts";
import { renderTaygaConf, taygaIpv4Address } from "../../../src/relay-agent/nat64/tayga-config.ts";
import { desiredDataPlane } from "../../../src/relay-agent/resources/desired-state.ts";
import { resolvedConfig } from "./helpers.ts";

const paths = hostPaths("/srv/root");

describe("desiredDataPlane", () => {
  it("tayga: tun, routes for prefix and pool, tayga.conf, sysctls persisted under the root", () => {
    const desired = desiredDataPlane(resolvedConfig(), paths);
    expect(desired.tun).toEqual({ name: "nat64relay" });
    expect(desired.routes).toEqual([
      { family: 6, destination: "fd4e:2a91:7c3d:6464::/96", device: "nat64relay" },
      { family: 4, destination: "192.168.240.0/20", device: "nat64relay" },
    ]);
    expect(desired.tayga?.confPath).toBe("/srv/root/var/lib/nat64-relay/tayga.conf");
    expect(desired.sysctls).toEqual({
      "net.ipv4.ip_forward": "1",
      "net.ipv6.conf.all.forwarding": "1",
    });
    expect(desired.sysctlFile?.path).toBe("/srv/root/etc/sysctl.d/90-nat64-relay.conf");
    expect(desired.sysctlFile?.content).toContain(
      "net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n",
    );
    expect(desired.advertiseRoute).toBe("fd4e:2a91:7c3d:6464::/96");
  });

  it("is a pure function of the config: same input, same output", () => {
    expect(desiredDataPlane(resolvedConfig(), paths)).toEqual(
      desiredDataPlane(resolvedConfig(), paths),
    );
  });

  it("advertise: false advertises nothing", () => {
    expect(
      desiredDataPlane(resolvedConfig({ advertise: false }), paths).advertiseRoute,
    ).toBeUndefined();
  });

  it("engine none: DNS only, nothing on the host", () => {
    const desired = desiredDataPlane(resolvedConfig({ engine: "none" }), paths);
    expect(desired).toEqual({
      engine: "none",
      prefix: "fd4e:2a91:7c3d:6464::/96",
      pool: "192.168.240.0/20",
      routes: [],
      sysctls: {},
    });
  });

  it("engine jool: jool commands, no tun or routes", () => {
    const desired = desiredDataPlane(resolvedConfig({ engine: "jool" }), paths);
    expect(desired.tun).toBeUndefined();
    expect(desired.routes).toEqual([]);
    expect(desired.jool?.commands).toEqual(joolSetupCommands("fd4e:2a91:7c3d:6464::/96"));
  });
});

describe("tayga.conf", () => {
  it("has tun-device, ipv4-addr (first pool address), prefix, dynamic-pool and data-dir", () => {
    expect(taygaIpv4Address("192.168.240.0/20")).toBe("192.168.240.1");
    expect(
      renderTaygaConf({
        tunDevice: "nat64relay",
        prefix: "fd4e:2a91:7c3d:6464::/96",
        pool: "192.168.240.0/20",
        dataDir: "/var/lib/nat64-relay/tayga",
      }),
    ).toBe(
      [
        "# Written by nat64-relay agent; changes are overwritten on the next apply.",
        "tun-device nat64relay",
        "ipv4-addr 192.168.240.1",
        "prefix fd4e:2a91:7c3d:6464::/96",
        "dynamic-pool 192.168.240.0/20",
        "data-dir /var/lib/nat64-relay/tayga",
        "",
      ].join("\n"),
    );
  });
});

describe("jool commands", () => {
  it("loads the module and adds a netfilter instance with the prefix as pool6", () => {
    expect(joolSetupCommands("fd4e:2a91:7c3d:6464::/96")).toEqual([
      ["modprobe", "jool"],
      [
        "jool",
        "instance",
        "add",
        "nat64_relay",
        "--netfilter",
        "--pool6",
        "fd4e:2a91:7c3d:6464::/96",
      ],
    ]);
    expect(joolTeardownCommands()).toEqual([["jool", "instance", "remove", "nat64_relay"]]);
  });
});
