// The tc-BPF fast path on tayga's tun, end to end in network namespaces: content-checked TCP
// and UDP transfers both ways through it, what it leaves to tayga (ICMP, fragments, ICMP errors,
// new clients), the guard and masquerade unchanged, hot switching, uninstall, and the fallback
// when the kernel refuses the program.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CounterName } from "../../src/relay-agent/resources/accelerators/fast-path/program.ts";
import { bpfObjectExists, probeFastPath } from "./lab/fast-path-probe.ts";
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
  waitFor,
  writeAgentConfig,
} from "./lab/services.ts";
import { ADDR, Lab, SPLIT, synthesized, TARGET_PORT } from "./lab/topology.ts";

const available = labAvailable();

/** tayga processes in the relay namespace. */
async function taygaPids(lab: Lab): Promise<number[]> {
  const pids = execFileSync("ip", ["netns", "pids", lab.ns.relay]).toString().split("\n");
  const found: number[] = [];
  for (const pid of pids.filter(Boolean)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith("tayga\0")) found.push(Number(pid));
  }
  return found;
}
const CHECKED_PORT = 9000;
const MB20 = 20 * 1024 * 1024;

describe.runIf(available)("NAT64 fast path (tc-BPF on tayga's tun)", () => {
  let lab: Lab;
  let files: AgentFiles;
  let agent: RunningAgent;
  // As the DNS answers it (RFC 5952 text).
  const target = "fd4e:2a91:7c3d:6464::c612:102";

  const counter = async (name: CounterName) => (await probeFastPath(lab)).counters?.[name] ?? 0n;

  async function transfer(mode: string, bytes: number): Promise<Record<string, unknown>> {
    const { stdout } = await lab.exec(
      "client",
      process.execPath,
      [
        join(REPO, "test/e2e/lab/checksum-transfer.ts"),
        mode,
        target,
        String(CHECKED_PORT),
        String(bytes),
      ],
      { timeoutMs: 130_000 },
    );
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  async function tcpSend(address: string, bytes: number): Promise<boolean> {
    return lab
      .exec("client", process.execPath, [
        join(REPO, "test/e2e/lab/tcp-send.ts"),
        address,
        String(TARGET_PORT),
        String(bytes),
        "3000",
      ])
      .then(
        () => true,
        () => false,
      );
  }

  async function nftCounter(name: string): Promise<number> {
    const { stdout } = await lab.exec("relay", "nft", [
      "-j",
      "list",
      "counter",
      "inet",
      "nat64_relay",
      name,
    ]);
    const item = (JSON.parse(stdout).nftables as { counter?: { packets: number } }[]).find(
      (i) => i.counter,
    );
    return item?.counter?.packets ?? 0;
  }

  const reload = async (fastPath: "auto" | "off") => {
    const settings = JSON.parse(readFileSync(files.config, "utf8")) as Record<string, unknown>;
    await writeFile(files.config, `${JSON.stringify({ ...settings, fastPath }, null, 2)}\n`);
    agent.child.kill("SIGHUP");
  };

  beforeAll(async () => {
    lab = await Lab.create();
    await lab.settle();
    await startNsd(lab);
    await startTargetServer(lab);
    lab.spawn("target", process.execPath, [
      join(REPO, "test/e2e/lab/checksum-transfer.ts"),
      "serve",
      String(CHECKED_PORT),
    ]);
    await waitFor("the checksum server", async () => {
      await lab.exec("target", "sh", ["-c", `ss -ltn | grep -q ':${CHECKED_PORT} '`]);
      return true;
    });
    files = await writeAgentConfig(lab, "relay.yaml", { metricsListen: "127.0.0.1:9153" });
    agent = await startAgent(lab, files);
    const { stdout } = await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    expect(stdout.trim()).toBe(target);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("is attached to tayga's tun egress by default", async () => {
    const probe = await probeFastPath(lab);
    expect(probe.program?.objectName).toMatch(/^nat64_fast_path-[0-9a-f]{12}\.o:\[tc\]$/);
    expect(probe.mapIds).toHaveLength(5);
    expect(agent.log()).toMatch(/data plane: attach the fast path to nat64relay egress/);
  });

  it("carries a new client's first packets through tayga, then the fast path (counters prove it)", async () => {
    expect(await tcpSend(target, 64 * 1024)).toBe(true);
    expect(await counter("TAYGA_V6_UNKNOWN_CLIENT")).toBeGreaterThan(0n);
    expect(await counter("TAYGA_V4_UNKNOWN_POOL_ADDR")).toBeGreaterThan(0n);
    expect(await counter("FAST_V6_TO_V4_PACKETS")).toBe(0n);
    // tayga writes its new assignment to dynamic.map on its next pool pass (≤ 45 s in 0.9.2).
    await waitFor(
      "the agent to mirror tayga's assignment",
      async () => /fast path: 1 client mapped/.test(agent.log()),
      120_000,
      1000,
    );
    const unknownBefore = await counter("TAYGA_V6_UNKNOWN_CLIENT");
    expect(await tcpSend(target, 1024 * 1024)).toBe(true);
    expect(await counter("FAST_V6_TO_V4_PACKETS")).toBeGreaterThan(0n);
    expect(await counter("FAST_V4_TO_V6_PACKETS")).toBeGreaterThan(0n);
    expect(await counter("TAYGA_V6_UNKNOWN_CLIENT")).toBe(unknownBefore);
    // Metrics export the same counters.
    const { stdout: metrics } = await lab.exec("relay", "curl", [
      "-s",
      "http://127.0.0.1:9153/metrics",
    ]);
    expect(metrics).toMatch(/^nat64_relay_fast_path_active 1$/m);
    expect(metrics).toMatch(/^nat64_relay_fast_path_clients 1$/m);
    expect(metrics).toMatch(
      /^nat64_relay_fast_path_packets_total\{direction="v6_to_v4"\} [1-9]\d*$/m,
    );
    expect(metrics).toMatch(
      /^nat64_relay_fast_path_to_tayga_packets_total\{reason="v6_unknown_client"\} [1-9]\d*$/m,
    );
    // The doctor says which path is active and shows the split.
    const doctor = await cli(lab, "relay", [
      "agent",
      "doctor",
      "--probe",
      "my-vps",
      ...agentArgs(files),
    ]);
    expect(doctor.stdout).toMatch(
      /✔ fast path \(tc-BPF on tayga's tun\): active on nat64relay: 1 client mapped; fast path [1-9]\d* packets \([\d.]+ [KMG]?B\), tayga [1-9]\d* packets \(/,
    );
  });

  it("moves 20 MB of TCP each way through the fast path, content checked by SHA-256", async () => {
    const up = await counter("FAST_V6_TO_V4_BYTES");
    expect(await transfer("tcp-up", MB20)).toEqual({ sent: MB20, received: MB20, ok: true });
    expect(Number((await counter("FAST_V6_TO_V4_BYTES")) - up)).toBeGreaterThan(MB20);
    const down = await counter("FAST_V4_TO_V6_BYTES");
    expect(await transfer("tcp-down", MB20)).toEqual({ received: MB20, ok: true });
    expect(Number((await counter("FAST_V4_TO_V6_BYTES")) - down)).toBeGreaterThan(MB20);
  });

  it("moves 20 MB of UDP each way through the fast path, content checked by SHA-256", async () => {
    const up = await counter("FAST_V6_TO_V4_BYTES");
    expect(await transfer("udp-up", MB20)).toMatchObject({ sent: MB20, ok: true });
    expect(Number((await counter("FAST_V6_TO_V4_BYTES")) - up)).toBeGreaterThan(MB20);
    const down = await counter("FAST_V4_TO_V6_BYTES");
    expect(await transfer("udp-down", MB20)).toMatchObject({ received: MB20, ok: true });
    expect(Number((await counter("FAST_V4_TO_V6_BYTES")) - down)).toBeGreaterThan(MB20);
  });

  it("leaves ICMP echo to tayga, both ways", async () => {
    const v6 = await counter("TAYGA_V6_NOT_TCP_UDP");
    const v4 = await counter("TAYGA_V4_NOT_TCP_UDP");
    const { stdout } = await lab.exec("client", "ping", [
      "-6",
      "-c",
      "3",
      "-i",
      "0.2",
      "-W",
      "2",
      target,
    ]);
    expect(stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(Number((await counter("TAYGA_V6_NOT_TCP_UDP")) - v6)).toBeGreaterThanOrEqual(3);
    expect(Number((await counter("TAYGA_V4_NOT_TCP_UDP")) - v4)).toBeGreaterThanOrEqual(3);
  });

  it("leaves fragments to tayga and they arrive intact (a 4000-byte UDP datagram echoed)", async () => {
    const fragments = await counter("TAYGA_V4_FRAGMENT");
    expect(await transfer("udp-echo", 4000)).toEqual({ sent: 4000, received: 4000, ok: true });
    expect(await counter("TAYGA_V4_FRAGMENT")).toBeGreaterThan(fragments);
  });

  it("delivers the target's ICMP port unreachable to the client through tayga", async () => {
    const icmp = await counter("TAYGA_V4_NOT_TCP_UDP");
    const { stdout } = await lab.exec("client", process.execPath, [
      join(REPO, "test/e2e/lab/checksum-transfer.ts"),
      "closed-port",
      target,
      "9999",
    ]);
    expect(JSON.parse(stdout)).toEqual({ outcome: "ECONNREFUSED" });
    expect(await counter("TAYGA_V4_NOT_TCP_UDP")).toBeGreaterThan(icmp);
  });

  it("still blocks a hand-built address and 169.254.169.254 when the fast path carries the SYN", async () => {
    const fast = await counter("FAST_V6_TO_V4_PACKETS");
    const unknown = await nftCounter("guard_unknown");
    const special = await nftCounter("guard_special");
    expect(await tcpSend(synthesized(ADDR.targetUnlisted), 1024)).toBe(false);
    expect(await tcpSend(synthesized(ADDR.metadata), 1024)).toBe(false);
    expect(await counter("FAST_V6_TO_V4_PACKETS")).toBeGreaterThan(fast);
    expect(await nftCounter("guard_unknown")).toBeGreaterThan(unknown);
    expect(await nftCounter("guard_special")).toBeGreaterThan(special);
  });

  it("keeps an established fast-path flow going while tayga is killed and restarted", async () => {
    const running = transfer("tcp-up", MB20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const pid of await taygaPids(lab)) process.kill(pid, "SIGKILL");
    expect(await running).toEqual({ sent: MB20, received: MB20, ok: true });
    await waitFor("tayga to be restarted", async () => /tayga exited/.test(agent.log()));
  });

  it("fastPath: off removes program, qdisc and maps on reload; auto puts it back", async () => {
    const before = await probeFastPath(lab);
    const programId = before.program?.programId ?? -1;
    await reload("off");
    await waitFor(
      "the fast path to be removed",
      async () => (await probeFastPath(lab)).program === undefined,
    );
    expect((await probeFastPath(lab)).clsact).toBe(false);
    expect(await bpfObjectExists(lab, "prog", programId)).toBe(false);
    for (const id of before.mapIds) expect(await bpfObjectExists(lab, "map", id)).toBe(false);
    expect(await tcpSend(target, 64 * 1024)).toBe(true);
    await reload("auto");
    await waitFor(
      "the fast path to be back",
      async () => (await probeFastPath(lab)).program !== undefined,
    );
    expect(await tcpSend(target, 256 * 1024)).toBe(true);
    // The re-attached program got tayga's assignment at once: the client is fast again.
    expect(await counter("FAST_V6_TO_V4_PACKETS")).toBeGreaterThan(0n);
  });

  it("agent uninstall leaves no program, qdisc, map or compiled object behind", async () => {
    const before = await probeFastPath(lab);
    await stopProcess(agent.child, "SIGTERM");
    // The program outlives the agent (it is host state, like the nft table).
    expect((await probeFastPath(lab)).program?.programId).toBe(before.program?.programId);
    const result = await cli(lab, "relay", ["agent", "uninstall", ...agentArgs(files)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/detach the fast path from nat64relay/);
    expect(await bpfObjectExists(lab, "prog", before.program?.programId ?? -1)).toBe(false);
    for (const id of before.mapIds) expect(await bpfObjectExists(lab, "map", id)).toBe(false);
    const state = join(files.root, "var/lib/nat64-relay");
    const left = await readdir(state).catch(() => []);
    expect(left.filter((name) => name === "bpf" || name === "fast-path.json")).toEqual([]);
  });

  it("falls back to tayga alone, with one clear line, when the kernel refuses the program", async () => {
    // A tc that refuses BPF filters the way a kernel without CAP_BPF or under lockdown does.
    const bin = join(lab.dir, "refusing-bin");
    await mkdir(bin, { recursive: true });
    await writeFile(
      join(bin, "tc"),
      [
        "#!/bin/sh",
        'case " $* " in *" bpf "*" obj "*) echo "Error: bpf: Operation not permitted" >&2; exit 2;; esac',
        'exec /usr/sbin/tc "$@"',
        "",
      ].join("\n"),
    );
    await chmod(join(bin, "tc"), 0o755);
    agent = await startAgent(lab, files, undefined, { PATH: `${bin}:${process.env.PATH}` });
    // After the uninstall the guard starts empty: the DNS answer lets the target in again.
    await lab.exec("client", "dig", ["+short", `my-vps.${SPLIT}`, "AAAA"]);
    expect(await tcpSend(target, 256 * 1024)).toBe(true);
    const lines = agent
      .log()
      .split("\n")
      .filter((line) => /fast path/.test(line));
    expect(lines).toEqual([
      expect.stringMatching(
        /fast path not loaded: tc: Error: bpf: Operation not permitted; tayga translates everything/,
      ),
    ]);
    expect((await probeFastPath(lab)).program).toBeUndefined();
    expect((await probeFastPath(lab)).clsact).toBe(false);
    await stopProcess(agent.child, "SIGTERM");
    const result = await cli(lab, "relay", ["agent", "uninstall", ...agentArgs(files)]);
    expect(result.code, result.stderr).toBe(0);
  });
});
