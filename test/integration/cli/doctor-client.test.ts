// `nat64-relay doctor --client NAME --server ip:port` (and the same under `agent doctor`) against
// a real DNS-only agent on a loopback port: the DNS checks ask that port and pass; the route check
// then tells the truth about this machine (no overlay here), so the run fails with exit 1. Usage
// mistakes exit 2 with one line naming them.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, agent, eventually } from "../dns/agent-process.ts";
import { udpQuery } from "../dns/dns-client.ts";
import { REAL, SPLIT, startRealUpstream } from "../dns/lab.ts";
import { freePort, type NsdUpstream, stopChild } from "../dns/nsd-upstream.ts";

const BIN = new URL("../../../bin/nat64-relay.js", import.meta.url).pathname;
const PREFIX = "fd4e:2a91:7c3d:6464::/96";

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

interface Check {
  readonly id: string;
  readonly status: string;
  readonly title: string;
}

let nsd: NsdUpstream;
let dir: string;
let relay: AgentProcess;
let port: number;

beforeAll(async () => {
  nsd = await startRealUpstream("127.0.53.21");
  dir = await mkdtemp(join(tmpdir(), "n64doctor-client-"));
  port = await freePort("127.0.0.1");
  const config = join(dir, "relay.yaml");
  await writeFile(
    config,
    `engine: none\nprefix: "${PREFIX}"\nlisten: ["127.0.0.1:${port}"]\nupstreams: ["${nsd.address}"]\nsplitDomains:\n  - { name: ${SPLIT}, realSuffix: ${REAL} }\n`,
  );
  relay = agent(["--config", config, "--state-dir", join(dir, "state")]);
  await eventually(() => udpQuery("127.0.0.1", port, { name: SPLIT, type: "SOA" }, 300));
});
afterAll(async () => {
  if (relay) await stopChild(relay.child);
  await nsd?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("doctor --client --server ip:port", () => {
  for (const command of [["doctor"], ["agent", "doctor"]]) {
    it(`${command.join(" ")} asks that port, passes DNS, and fails on the missing overlay route`, async () => {
      const result = await cli([
        ...command,
        "--client",
        `plain.${SPLIT}`,
        "--server",
        `127.0.0.1:${port}`,
        "--overlay",
        "n64-no-such-if",
        "--json",
      ]);
      const report = JSON.parse(result.stdout) as { ok: boolean; checks: Check[] };
      expect(report.checks.map((check) => [check.id, check.status])).toEqual([
        ["dns-udp", "pass"],
        ["dns-tcp", "pass"],
        ["no-cname", "pass"],
        ["route", "fail"],
      ]);
      expect(report.checks[0]?.title).toBe(`AAAA plain.${SPLIT} over UDP @127.0.0.1:${port}`);
      expect([result.code, report.ok]).toEqual([1, false]);
    });
  }

  it("exits 2 naming a bad --server, a bad --port, an unknown flag, or a relay flag with --client", async () => {
    const cases: [string[], string][] = [
      [
        ["doctor", "--client", "a.r9929", "--server", "dns.example"],
        'nat64-relay doctor: --server: "dns.example" is not an IP address with an optional port (write 127.0.0.1:5353 or [::1]:5353)',
      ],
      [
        ["doctor", "--client", "a.r9929", "--port", "ssh"],
        'nat64-relay doctor: --port must be a port from 1 to 65535, got "ssh"',
      ],
      [
        ["doctor", "--clinet", "a.r9929"],
        "nat64-relay doctor: unknown option --clinet (did you mean --client?)",
      ],
      [["doctor"], "nat64-relay doctor: --client HOST.SPLIT is required (the name to check)"],
      [
        ["agent", "doctor", "--client", "a.r9929", "--probe", "b"],
        "nat64-relay agent doctor: --probe is for the relay's checks, not with --client",
      ],
      [
        ["agent", "doctor", "--port", "22"],
        "nat64-relay agent doctor: --port and --overlay go with --client (the client-side checks)",
      ],
    ];
    for (const [args, line] of cases) {
      const result = await cli(args);
      expect([result.code, result.stderr.split("\n")[0], result.stdout]).toEqual([2, line, ""]);
    }
  });
});
