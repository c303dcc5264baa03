import { describe, expect, it } from "vitest";
import type { Exec } from "../../../src/relay-agent/host/exec.ts";
import { RealIpRoute } from "../../../src/relay-agent/host/ip-route.ts";
import { RealNftables } from "../../../src/relay-agent/host/nftables.ts";

function recordingExec(outputs: Record<string, string | Error>): { exec: Exec; calls: string[] } {
  const calls: string[] = [];
  const exec: Exec = async (command, args, options) => {
    const line = [command, ...args].join(" ");
    calls.push(options?.input ? `${line} <<${options.input}` : line);
    const output = outputs[line];
    if (output instanceof Error) throw output;
    return { stdout: output ?? "", stderr: "" };
  };
  return { exec, calls };
}

const meta = { metainfo: { version: "1.0.6" } };

describe("RealNftables", () => {
  it("reads rule counts from JSON and the comment from the terse listing", async () => {
    const { exec } = recordingExec({
      "nft -j -t list table inet nat64_relay": JSON.stringify({
        nftables: [
          meta,
          { table: { family: "inet", name: "nat64_relay" } },
          { chain: { family: "inet", table: "nat64_relay", name: "forward", hook: "forward" } },
          { chain: { family: "inet", table: "nat64_relay", name: "input", hook: "input" } },
          { rule: { family: "inet", table: "nat64_relay", chain: "forward", expr: [] } },
          { rule: { family: "inet", table: "nat64_relay", chain: "forward", expr: [] } },
        ],
      }),
      "nft -t list table inet nat64_relay":
        'table inet nat64_relay {\n\tcomment "managed by nat64-relay; desired 0123456789abcdef"\n}\n',
    });
    expect(await new RealNftables(exec).table("inet", "nat64_relay")).toEqual({
      comment: "managed by nat64-relay; desired 0123456789abcdef",
      chains: { forward: 2, input: 0 },
    });
  });

  it("says a missing table is missing", async () => {
    const { exec } = recordingExec({
      "nft -j -t list table inet nat64_relay": new Error("Error: No such file or directory"),
    });
    expect(await new RealNftables(exec).table("inet", "nat64_relay")).toBeUndefined();
  });

  it("applies scripts through stdin in one nft -f", async () => {
    const { exec, calls } = recordingExec({});
    await new RealNftables(exec).run("add element inet nat64_relay allowed_v4 { 1.2.3.4 }\n");
    expect(calls).toEqual(["nft -f - <<add element inet nat64_relay allowed_v4 { 1.2.3.4 }\n"]);
  });

  it("reads set elements with what is left of their timeout", async () => {
    const { exec } = recordingExec({
      "nft -j list set inet nat64_relay allowed_v4": JSON.stringify({
        nftables: [
          meta,
          {
            set: {
              elem: [{ elem: { val: "198.18.1.2", timeout: 180, expires: 170 } }, "198.18.1.9"],
            },
          },
        ],
      }),
    });
    expect(await new RealNftables(exec).elements("inet", "nat64_relay", "allowed_v4")).toEqual([
      { address: "198.18.1.2", expiresSeconds: 170 },
      { address: "198.18.1.9" },
    ]);
  });

  it("lists base chains with their policy and drop rules, for the foreign-drop check", async () => {
    const { exec } = recordingExec({
      "nft -j list ruleset": JSON.stringify({
        nftables: [
          meta,
          { chain: { family: "ip", table: "filter", name: "ts-forward" } },
          {
            chain: {
              family: "ip",
              table: "filter",
              name: "FORWARD",
              hook: "forward",
              policy: "drop",
            },
          },
          { rule: { family: "ip", table: "filter", chain: "FORWARD", expr: [{ drop: null }] } },
        ],
      }),
    });
    expect(await new RealNftables(exec).baseChains()).toEqual([
      {
        family: "ip",
        table: "filter",
        name: "FORWARD",
        hook: "forward",
        policy: "drop",
        dropRules: 1,
      },
    ]);
  });
});

describe("RealIpRoute", () => {
  it("normalizes routes through a device and uses route replace to add", async () => {
    const { exec, calls } = recordingExec({
      "ip -j link show dev nat64relay": JSON.stringify([
        { ifname: "nat64relay", flags: ["POINTOPOINT", "UP"] },
      ]),
      "ip -4 -j route show dev nat64relay": JSON.stringify([
        { dst: "192.168.240.0/20" },
        { dst: "10.9.9.9" },
      ]),
      "ip -6 -j route show dev nat64relay": JSON.stringify([{ dst: "fd4e:2a91:7c3d:6464::/96" }]),
    });
    const ip = new RealIpRoute(exec);
    expect(await ip.linkUp("nat64relay")).toBe(true);
    expect(await ip.routes("nat64relay")).toEqual([
      { family: 4, destination: "192.168.240.0/20", device: "nat64relay" },
      { family: 4, destination: "10.9.9.9/32", device: "nat64relay" },
      { family: 6, destination: "fd4e:2a91:7c3d:6464::/96", device: "nat64relay" },
    ]);
    await ip.addRoute({ family: 6, destination: "fd4e:2a91:7c3d:6464::/96", device: "nat64relay" });
    expect(calls.at(-1)).toBe("ip -6 route replace fd4e:2a91:7c3d:6464::/96 dev nat64relay");
  });
});
