// Who may use the translator (docs/security.md, "Forwarding path"): a host on the relay's LAN
// routes the prefix via the relay's link-local address and sends real and spoofed-source
// traffic; none of it reaches tayga or the target and the pool stays as it was, while tailnet
// clients (new ones included) keep working and forwarding that is not ours still flows.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIpv6, parseIpv6 } from "../../src/core/ip.ts";
import { installFakeTailscale } from "./lab/fake-tailscale.ts";
import { labAvailable } from "./lab/require-lab.ts";
import {
  type AgentFiles,
  agentArgs,
  cli,
  REPO,
  startAgent,
  startNsd,
  startTargetServer,
  writeAgentConfig,
} from "./lab/services.ts";
import {
  ADDR,
  Lab,
  POOL,
  PREFIX,
  type Role,
  SPLIT,
  synthesized,
  TARGET_PORT,
} from "./lab/topology.ts";

const available = labAvailable();

/** A burst as in the report that filled tayga's /20 (4096 addresses): more sources than the pool. */
const BURST = 4500;
/** Paced so the kernel's receive backlog never drops what netfilter should count. */
const BURST_SECONDS = 6;

async function nftCounters(lab: Lab, role: Role, table: string): Promise<Record<string, number>> {
  const { stdout } = await lab.exec(role, "nft", [
    "-j",
    "list",
    "counters",
    "table",
    "inet",
    table,
  ]);
  const result: Record<string, number> = {};
  for (const item of JSON.parse(stdout).nftables as {
    counter?: { name: string; packets: number };
  }[]) {
    if (item.counter) result[item.counter.name] = item.counter.packets;
  }
  return result;
}

const relayCounters = (lab: Lab) => nftCounters(lab, "relay", "nat64_relay");

/**
 * Packets the kernel handed to tayga (tx on its TUN) and tayga handed back (rx). tayga maps a
 * source when it reads its first packet; nothing read, nothing mapped. (tayga saves dynamic.map
 * only now and then, so the file cannot show a mapping within a test's time.)
 */
async function tunPackets(lab: Lab): Promise<{ tx: number; rx: number }> {
  const { stdout } = await lab.exec("relay", "ip", ["-s", "-j", "link", "show", "nat64relay"]);
  const [link] = JSON.parse(stdout) as {
    stats64: { tx: { packets: number }; rx: { packets: number } };
  }[];
  return { tx: link?.stats64.tx.packets ?? -1, rx: link?.stats64.rx.packets ?? -1 };
}

async function ping(lab: Lab, role: Role, address: string, extra: string[] = []): Promise<boolean> {
  const family = address.includes(":") ? "-6" : "-4";
  return lab
    .exec(role, "ping", [family, "-c", "2", "-W", "1", ...extra, address], { timeoutMs: 10_000 })
    .then(
      () => true,
      () => false,
    );
}

async function tcpSend(lab: Lab, role: Role, address: string, timeoutMs: number): Promise<boolean> {
  return lab
    .exec(
      role,
      process.execPath,
      [
        join(REPO, "test/e2e/lab/tcp-send.ts"),
        address,
        String(TARGET_PORT),
        "1000",
        String(timeoutMs),
      ],
      { timeoutMs: timeoutMs + 5000 },
    )
    .then(
      (result) => result.stdout.includes('"bytes":1000'),
      () => false,
    );
}

async function spoof(
  lab: Lab,
  role: Role,
  sources: string,
  count: number,
  seconds: number,
): Promise<number> {
  const { stdout } = await lab.exec(
    role,
    "/usr/bin/python3",
    [
      join(REPO, "test/e2e/lab/send-spoofed.py"),
      synthesized(ADDR.target),
      sources,
      String(count),
      String(seconds * 2),
      String(Math.ceil(count / seconds)),
    ],
    { timeoutMs: (seconds * 2 + 10) * 1000 },
  );
  return Number(stdout.trim());
}

/** host.<prefix> in RFC 5952 text, as dig prints it. */
const answer = (ipv4: string) => formatIpv6(parseIpv6(synthesized(ipv4)) ?? 0n);

const delta = (after: Record<string, number>, before: Record<string, number>, name: string) =>
  (after[name] ?? 0) - (before[name] ?? 0);

describe.runIf(available)("the translator serves only the tailnet", () => {
  let lab: Lab;
  let files: AgentFiles;

  beforeAll(async () => {
    lab = await Lab.create({ lan: true });
    await lab.settle();
    // The target and the LAN host count what reaches them, by source.
    await lab.exec("target", "nft", ["-f", "-"], {
      input: [
        "table inet n64e2e_watch {",
        "  counter from_relay {}",
        "  counter from_lan {}",
        "  chain input {",
        "    type filter hook prerouting priority -300; policy accept;",
        `    ip saddr ${ADDR.relayEgress} counter name from_relay`,
        `    ip saddr ${ADDR.lan} counter name from_lan`,
        "  }",
        "}",
        "",
      ].join("\n"),
    });
    await lab.exec("lan", "nft", ["-f", "-"], {
      input: [
        "table inet n64e2e_watch {",
        "  counter from_pool {}",
        "  chain input {",
        "    type filter hook prerouting priority -300; policy accept;",
        `    ip saddr ${POOL} counter name from_pool`,
        "  }",
        "}",
        "",
      ].join("\n"),
    });
    // The attacker's setup: the prefix via the relay's link-local address on the LAN.
    const relayLinkLocal = await lab.linkLocal("relay", "lan0");
    await lab.exec("lan", "ip", [
      "-6",
      "route",
      "add",
      PREFIX,
      "via",
      relayLinkLocal,
      "dev",
      "lan0",
    ]);
    await startNsd(lab);
    await startTargetServer(lab);
    files = await writeAgentConfig(lab);
    const tailscale = await installFakeTailscale(lab.dir, []);
    await startAgent(lab, files, tailscale.binary);
    // A tailnet client asks the DNS: the target is now in the guard's allow set, so only the new
    // rules can stop the LAN host from reaching it.
    const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    expect(stdout.trim()).toBe(answer(ADDR.target));
    expect(await ping(lab, "client", synthesized(ADDR.target))).toBe(true);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("refuses ping and TCP from a LAN host that routes the prefix via the relay's link-local address", async () => {
    const before = await relayCounters(lab);
    const target = await nftCounters(lab, "target", "n64e2e_watch");
    const tun = await tunPackets(lab);
    expect(await ping(lab, "lan", synthesized(ADDR.target))).toBe(false);
    expect(await tcpSend(lab, "lan", synthesized(ADDR.target), 2000)).toBe(false);
    const after = await relayCounters(lab);
    expect(delta(after, before, "refused_interface")).toBeGreaterThanOrEqual(3);
    expect((await tunPackets(lab)).tx).toBe(tun.tx);
    expect((await nftCounters(lab, "target", "n64e2e_watch")).from_relay).toBe(target.from_relay);
  });

  it("drops a spoofed-source burst (TCP, UDP, ICMP) before tayga: the pool and the target see nothing", async () => {
    const routes = (await lab.exec("relay", "ip", ["route", "show", "table", "all"])).stdout;
    const before = await relayCounters(lab);
    const target = await nftCounters(lab, "target", "n64e2e_watch");
    const tun = await tunPackets(lab);
    // Sources inside the tailnet's own range (in allowFrom) and outside it: the interface decides.
    const inside = await spoof(lab, "lan", "fd7a:115c:a1e0::/48", BURST / 2, BURST_SECONDS / 2);
    const outside = await spoof(lab, "lan", "fd99:6464::/32", BURST / 2, BURST_SECONDS / 2);
    expect(inside + outside).toBe(BURST);
    await new Promise((r) => setTimeout(r, 300));
    const after = await relayCounters(lab);
    expect(delta(after, before, "refused_interface")).toBe(BURST);
    expect((await tunPackets(lab)).tx).toBe(tun.tx);
    expect((await nftCounters(lab, "target", "n64e2e_watch")).from_relay).toBe(target.from_relay);
    expect((await lab.exec("relay", "ip", ["route", "show", "table", "all"])).stdout).toBe(routes);
  });

  it("still maps a new tailnet client after the burst (the pool was not exhausted)", async () => {
    await lab.exec("client", "ip", [
      "addr",
      "add",
      "fd7a:115c:a1e0::3/64",
      "dev",
      "tailscale0",
      "nodad",
    ]);
    expect(await ping(lab, "client", synthesized(ADDR.target), ["-I", "fd7a:115c:a1e0::3"])).toBe(
      true,
    );
    expect(await ping(lab, "client", synthesized(ADDR.target))).toBe(true);
    expect(await tcpSend(lab, "client", synthesized(ADDR.target), 10_000)).toBe(true);
  });

  it("refuses sources outside allowFrom even when they arrive on the overlay", async () => {
    const before = await relayCounters(lab);
    const tun = await tunPackets(lab);
    expect(await spoof(lab, "client", "fd00:bad::/64", 30, 2)).toBe(30);
    await new Promise((r) => setTimeout(r, 200));
    const after = await relayCounters(lab);
    expect(delta(after, before, "refused_source")).toBe(30);
    expect(delta(after, before, "refused_interface")).toBe(0);
    expect((await tunPackets(lab)).tx).toBe(tun.tx);
  });

  it("lets the pool's IPv4 leave only through egressInterfaces", async () => {
    // lan-host's address is routed out lan0, which is not an egress interface: without the rule
    // tayga's pool address would leave there un-masqueraded.
    const { stdout } = await lab.exec("client", "dig", ["+short", `lan-host.${SPLIT}`, "AAAA"]);
    expect(stdout.trim()).toBe(answer(ADDR.lan));
    const before = await relayCounters(lab);
    expect(await ping(lab, "client", synthesized(ADDR.lan))).toBe(false);
    const after = await relayCounters(lab);
    expect(delta(after, before, "refused_egress")).toBeGreaterThanOrEqual(2);
    expect((await nftCounters(lab, "lan", "n64e2e_watch")).from_pool ?? 0).toBe(0);
  });

  it("keeps forwarding that is not ours working (LAN ↔ target over IPv4, LAN ↔ tailnet over IPv6)", async () => {
    const target = await nftCounters(lab, "target", "n64e2e_watch");
    expect(await ping(lab, "lan", ADDR.target)).toBe(true);
    expect(await tcpSend(lab, "lan", ADDR.target, 10_000)).toBe(true);
    expect((await nftCounters(lab, "target", "n64e2e_watch")).from_lan).toBeGreaterThan(
      target.from_lan ?? 0,
    );
    expect(await ping(lab, "lan", ADDR.client)).toBe(true);
    expect(await ping(lab, "client", ADDR.lan6)).toBe(true);
  });

  it("agent doctor reports the refused counters", async () => {
    const result = await cli(lab, "relay", [
      "agent",
      "doctor",
      "--json",
      "--probe",
      "my-vps",
      ...agentArgs(files),
    ]);
    const checks = (
      JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string }[] }
    ).checks;
    const ingress = checks.find((check) => check.id === "foreign-traffic");
    expect(ingress?.status).toBe("warn");
    expect(ingress?.detail).toMatch(/refused_interface \d{4,}/);
    expect(ingress?.detail).toMatch(/refused_source 30\b/);
  });
});
