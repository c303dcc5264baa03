// The NAT64 path end to end in network namespaces: client → relay (agent: DNS + tayga +
// nftables) → IPv4-only target, the open-proxy guard, reboot, tayga restarts, uninstall.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ping, tcpSend } from "./lab/client-probes.ts";
import { installFakeTailscale } from "./lab/fake-tailscale.ts";
import { labAvailable } from "./lab/require-lab.ts";
import {
  type AgentFiles,
  agentArgs,
  cli,
  REPO,
  type RunningAgent,
  startAgent,
  startNsd,
  startTargetServer,
  stopProcess,
  writeAgentConfig,
} from "./lab/services.ts";
import { netnsSnapshot, treeSnapshot } from "./lab/snapshot.ts";
import { ADDR, Lab, POOL, PREFIX, SPLIT, synthesized, TARGET_PORT } from "./lab/topology.ts";

const available = labAvailable();

async function counters(lab: Lab): Promise<Record<string, number>> {
  const { stdout } = await lab.exec("relay", "nft", [
    "-j",
    "list",
    "counters",
    "table",
    "inet",
    "nat64_relay",
  ]);
  const result: Record<string, number> = {};
  for (const item of JSON.parse(stdout).nftables as {
    counter?: { name: string; packets: number };
  }[]) {
    if (item.counter) result[item.counter.name] = item.counter.packets;
  }
  return result;
}

async function watched(lab: Lab): Promise<Record<string, number>> {
  const { stdout } = await lab.exec("target", "nft", [
    "-j",
    "list",
    "counters",
    "table",
    "inet",
    "n64e2e_watch",
  ]);
  const result: Record<string, number> = {};
  for (const item of JSON.parse(stdout).nftables as {
    counter?: { name: string; packets: number };
  }[]) {
    if (item.counter) result[item.counter.name] = item.counter.packets;
  }
  return result;
}

async function taygaPids(lab: Lab): Promise<number[]> {
  const { stdout } = await lab.exec("relay", "sh", [
    "-c",
    "for p in $(ip netns identify >/dev/null; ls /proc | grep -E '^[0-9]+$'); do tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q '^tayga ' && echo $p; done; true",
  ]);
  const inNs = new Set(
    (await import("node:child_process"))
      .execFileSync("ip", ["netns", "pids", lab.ns.relay])
      .toString()
      .split("\n")
      .filter(Boolean)
      .map(Number),
  );
  return stdout
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => inNs.has(pid));
}

/** One bare TCP segment with odd flags (SYN+FIN): conntrack calls it invalid, not new. */
async function sendTcpFlags(lab: Lab, address: string, flags: string): Promise<void> {
  await lab.exec("client", "/usr/bin/python3", [
    join(REPO, "test/e2e/lab/send-tcp-flags.py"),
    address,
    String(TARGET_PORT),
    flags,
  ]);
}

async function allowedV4(lab: Lab): Promise<string[]> {
  const { stdout } = await lab.exec("relay", "nft", [
    "-j",
    "list",
    "set",
    "inet",
    "nat64_relay",
    "allowed_v4",
  ]);
  const set = (JSON.parse(stdout).nftables as { set?: { elem?: { elem: { val: string } }[] } }[])
    .map((item) => item.set)
    .find(Boolean);
  return (set?.elem ?? []).map((item) => item.elem.val);
}

describe.runIf(available)("NAT64 data plane in network namespaces", () => {
  let lab: Lab;
  let files: AgentFiles;
  let agent: RunningAgent;
  let before: Record<string, string>;
  let tailscale: Awaited<ReturnType<typeof installFakeTailscale>>;
  let dryRun: Awaited<ReturnType<typeof cli>>;
  let afterDryRun: Record<string, string>;
  let prefsAfterDryRun: string;
  let rootBefore: Record<string, string>;
  const operatorsSysctl = "# the operator's own file, kept across install and uninstall\n";

  beforeAll(async () => {
    lab = await Lab.create();
    await lab.settle();
    before = await netnsSnapshot(lab, "relay");
    // The target counts what reaches it on the addresses the guard must protect.
    await lab.exec("target", "nft", ["-f", "-"], {
      input: [
        "table inet n64e2e_watch {",
        "  counter unlisted {}",
        "  counter metadata {}",
        "  chain input {",
        "    type filter hook input priority 0; policy accept;",
        `    ip saddr ${ADDR.relayEgress} ip daddr ${ADDR.targetUnlisted} meta l4proto != icmp counter name unlisted`,
        `    ip saddr != ${ADDR.relayEgress} ip daddr ${ADDR.targetUnlisted} counter name unlisted`,
        `    ip daddr ${ADDR.metadata} counter name metadata`,
        "  }",
        "}",
        "",
      ].join("\n"),
    });
    await startNsd(lab);
    await startTargetServer(lab);
    files = await writeAgentConfig(lab);
    // Things of the operator's that the agent overwrites or uses, and must leave as they were:
    // an empty state directory and a sysctl file at the agent's own path.
    await mkdir(join(files.root, "var/lib/nat64-relay"), { recursive: true });
    await mkdir(join(files.root, "etc/sysctl.d"), { recursive: true });
    await writeFile(join(files.root, "etc/sysctl.d/90-nat64-relay.conf"), operatorsSysctl);
    rootBefore = await treeSnapshot(files.root);
    tailscale = await installFakeTailscale(lab.dir, ["10.99.0.0/24"]);
    dryRun = await cli(lab, "relay", [
      "agent",
      "apply",
      "--dry-run",
      ...agentArgs(files, tailscale.binary),
    ]);
    afterDryRun = await netnsSnapshot(lab, "relay");
    prefsAfterDryRun = await readFile(tailscale.prefsPath, "utf8");
    agent = await startAgent(lab, files, tailscale.binary);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("prints the plan with --dry-run and touches nothing", async () => {
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain("table inet nat64_relay {");
    expect(dryRun.stdout).toContain("fd4e:2a91:7c3d:6464::/96 dev nat64relay");
    expect(dryRun.stdout).toContain("tun-device nat64relay");
    expect(dryRun.stdout).toContain("net.ipv4.ip_forward = 1");
    expect(dryRun.stdout).toContain(
      `[tailscale] tailscale set --advertise-routes=10.99.0.0/24,${PREFIX} (+${PREFIX}; was 10.99.0.0/24)`,
    );
    expect(dryRun.stdout).toContain("[tun] create tun nat64relay (tayga --mktun)");
    expect(afterDryRun).toEqual(before);
    expect(JSON.parse(prefsAfterDryRun)).toEqual({ AdvertiseRoutes: ["10.99.0.0/24"] });
  });

  it("answers dig AAAA my-vps.<split> from the client with the prefix address, over UDP and TCP", async () => {
    for (const transport of ["+notcp", "+tcp"]) {
      const { stdout } = await lab.exec("client", "dig", [
        transport,
        "+short",
        `my-vps.${SPLIT}`,
        "AAAA",
      ]);
      expect(stdout.trim()).toBe("fd4e:2a91:7c3d:6464::c612:102");
    }
  });

  it("advertises the prefix merged with the route already advertised", async () => {
    const prefs = JSON.parse(await readFile(tailscale.prefsPath, "utf8")) as {
      AdvertiseRoutes: string[];
    };
    expect(prefs.AdvertiseRoutes).toEqual(["10.99.0.0/24", PREFIX]);
  });

  it("carries ping -6 to the IPv4 target", async () => {
    expect(await ping(lab, synthesized(ADDR.target), 3)).toBe(true);
  });

  it("carries a TCP transfer, and the target sees the relay's egress address", async () => {
    const answer = await tcpSend(lab, synthesized(ADDR.target), 4 * 1024 * 1024);
    expect(answer).toEqual({ peer: ADDR.relayEgress, bytes: 4 * 1024 * 1024 });
    const moved = await counters(lab);
    expect(moved.from_clients).toBeGreaterThan(0);
    expect(moved.to_clients).toBeGreaterThan(0);
    expect(moved.masqueraded).toBeGreaterThan(0);
  });

  it("blocks an address built by hand for an IPv4 the DNS never handed out", async () => {
    // The target answers on that address (from the relay itself), so only the guard stops it.
    await lab.exec("relay", "ping", ["-c", "1", "-W", "1", ADDR.targetUnlisted]);
    const start = await counters(lab);
    expect(await ping(lab, synthesized(ADDR.targetUnlisted))).toBe(false);
    expect(await tcpSend(lab, synthesized(ADDR.targetUnlisted), 1000, 2000)).toBeUndefined();
    const end = await counters(lab);
    expect((end.guard_unknown ?? 0) - (start.guard_unknown ?? 0)).toBeGreaterThanOrEqual(2);
    expect((await watched(lab)).unlisted).toBe(0);
  });

  it("blocks packets conntrack calls invalid (SYN+FIN) to an IPv4 the DNS never handed out", async () => {
    const start = await counters(lab);
    const seen = (await watched(lab)).unlisted ?? 0;
    for (let i = 0; i < 3; i++) await sendTcpFlags(lab, synthesized(ADDR.targetUnlisted), "SF");
    await new Promise((r) => setTimeout(r, 300));
    const end = await counters(lab);
    expect((end.guard_unknown ?? 0) - (start.guard_unknown ?? 0)).toBeGreaterThanOrEqual(3);
    expect((await watched(lab)).unlisted).toBe(seen);
  });

  it("loads both rulesets (tayga and jool) into the kernel's nftables", async () => {
    const { renderNftTable, replaceTableScript } = await import(
      "../../src/relay-agent/nat64/nft-ruleset.ts"
    );
    const { TRANSLATORS } = await import("../../src/relay-agent/resources/translators/index.ts");
    for (const translator of [TRANSLATORS.tayga, TRANSLATORS.jool]) {
      const table = renderNftTable({
        translator,
        pool: POOL,
        prefix: PREFIX,
        tunDevice: "nat64relay",
        egressInterfaces: ["eth0"],
        overlayInterface: "tailscale0",
        allowFrom: ["100.64.0.0/10", "fd7a:115c:a1e0::/48"],
      });
      // -c: the kernel checks the whole transaction and commits nothing.
      await lab.exec("relay", "nft", ["-c", "-f", "-"], { input: replaceTableScript(table) });
    }
  });

  it("blocks 169.254.169.254 even though it exists behind the relay", async () => {
    // tayga 0.9.2 already refuses to translate to 169.254/16; the never_v4 rule is the backstop.
    expect(await ping(lab, synthesized(ADDR.metadata))).toBe(false);
    expect(await tcpSend(lab, synthesized(ADDR.metadata), 1000, 2000)).toBeUndefined();
    expect((await watched(lab)).metadata).toBe(0);
    // ...and it is reachable from the relay itself: nothing but the translator path stops it.
    await lab.exec("relay", "ping", ["-c", "1", "-W", "1", ADDR.metadata]);
    expect((await watched(lab)).metadata).toBeGreaterThan(0);
  });

  it("finds nothing to change on a second apply and says so", async () => {
    const result = await cli(lab, "relay", [
      "agent",
      "apply",
      ...agentArgs(files, tailscale.binary),
    ]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("No changes: the host already matches the desired state.");
    expect(result.code).toBe(0);
  });

  it("restores the path within 5 s after tayga is killed", async () => {
    const [pid] = await taygaPids(lab);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, "SIGKILL");
    const killedAt = Date.now();
    let restored = false;
    while (Date.now() - killedAt < 5000) {
      if (await ping(lab, synthesized(ADDR.target))) {
        restored = true;
        break;
      }
    }
    expect(restored).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    const [next] = await taygaPids(lab);
    expect(next).not.toBe(pid);
  });

  it("rebuilds the tun, its routes and tayga when the tun is deleted under a running agent", async () => {
    await lab.exec("relay", "ip", ["link", "delete", "nat64relay"]);
    const deletedAt = Date.now();
    let restored = false;
    while (Date.now() - deletedAt < 10_000) {
      if (await ping(lab, synthesized(ADDR.target))) {
        restored = true;
        break;
      }
    }
    expect(restored, agent.log().slice(-2000)).toBe(true);
    const { stdout } = await lab.exec("relay", "ip", ["-6", "route", "show", "dev", "nat64relay"]);
    expect(stdout).toContain("fd4e:2a91:7c3d:6464::/96");
  });

  it("restores the table, its guard entries and the path within a few seconds after nft flush ruleset", async () => {
    expect(await allowedV4(lab)).toContain(ADDR.target);
    await lab.exec("relay", "nft", ["flush", "ruleset"]);
    // (No "path is down now" probe: the agent may already have repaired it by then.)
    const flushedAt = Date.now();
    let restored = false;
    while (Date.now() - flushedAt < 8000) {
      if (await ping(lab, synthesized(ADDR.target))) {
        restored = true;
        break;
      }
    }
    expect(restored, agent.log().slice(-2000)).toBe(true);
    // No DNS query in between: the entry came back from the agent's memory.
    expect(await allowedV4(lab)).toContain(ADDR.target);
    expect(await ping(lab, synthesized(ADDR.targetUnlisted))).toBe(false);
    expect((await watched(lab)).unlisted).toBe(0);
    expect(agent.log()).toContain("table inet nat64_relay is missing; re-applying");
  });

  it("works again after a reboot (agent and tayga killed, tun, routes and table gone)", async () => {
    await stopProcess(agent.child, "SIGKILL");
    for (const pid of await taygaPids(lab)) process.kill(pid, "SIGKILL");
    await lab.exec("relay", "ip", ["link", "delete", "nat64relay"]);
    await lab.exec("relay", "nft", ["delete", "table", "inet", "nat64_relay"]);
    await lab.exec("relay", "sysctl", [
      "-qw",
      "net.ipv4.ip_forward=0",
      "net.ipv6.conf.all.forwarding=0",
    ]);
    expect(await ping(lab, synthesized(ADDR.target))).toBe(false);
    agent = await startAgent(lab, files, tailscale.binary);
    // Before any new DNS query: the guard entries come back from the state directory, so a
    // client still holding the cached answer is not cut off by the reboot.
    expect(await ping(lab, synthesized(ADDR.target), 2)).toBe(true);
    expect(await ping(lab, synthesized(ADDR.targetUnlisted))).toBe(false);
    const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    expect(stdout.trim()).toBe("fd4e:2a91:7c3d:6464::c612:102");
    expect(await ping(lab, synthesized(ADDR.target), 2)).toBe(true);
    expect(await tcpSend(lab, synthesized(ADDR.target), 1024 * 1024)).toEqual({
      peer: ADDR.relayEgress,
      bytes: 1024 * 1024,
    });
  });

  it("leaves the relay namespace as it was before after agent uninstall", async () => {
    await stopProcess(agent.child, "SIGTERM");
    const result = await cli(lab, "relay", [
      "agent",
      "uninstall",
      ...agentArgs(files, tailscale.binary),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(await netnsSnapshot(lab, "relay")).toEqual(before);
    // On disk too: the empty state directory stays, the operator's sysctl file is back.
    expect(await treeSnapshot(files.root)).toEqual(rootBefore);
    expect(await readFile(join(files.root, "etc/sysctl.d/90-nat64-relay.conf"), "utf8")).toBe(
      operatorsSysctl,
    );
    const prefs = JSON.parse(await readFile(tailscale.prefsPath, "utf8")) as {
      AdvertiseRoutes: string[];
    };
    expect(prefs.AdvertiseRoutes).toEqual(["10.99.0.0/24"]);
  });
});
