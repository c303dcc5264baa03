// `agent doctor` and `doctor --client` against the namespace lab: all green on a healthy relay,
// then each fault from the seed's troubleshooting table injected and named with its cause.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeTailscale, installFakeTailscale } from "./lab/fake-tailscale.ts";
import { labAvailable } from "./lab/require-lab.ts";
import {
  type AgentFiles,
  agentArgs,
  cli,
  type RunningAgent,
  startAgent,
  startNsd,
  startTargetServer,
  waitFor,
  writeAgentConfig,
} from "./lab/services.ts";
import { ADDR, Lab, PREFIX, SPLIT, TARGET_PORT } from "./lab/topology.ts";

const available = labAvailable();

interface Check {
  id: string;
  status: string;
  detail: string;
  cause?: string;
}

interface Report {
  code: number;
  checks: Check[];
  text: string;
}

describe.runIf(available)("doctor names each fault", () => {
  let lab: Lab;
  let files: AgentFiles;
  let agent: RunningAgent;
  let tailscale: FakeTailscale;

  const relayDoctor = async (...extra: string[]): Promise<Report> => {
    const result = await cli(lab, "relay", [
      "agent",
      "doctor",
      "--json",
      "--probe",
      "my-vps",
      ...agentArgs(files, tailscale.binary),
      ...extra,
    ]);
    const parsed = JSON.parse(result.stdout) as { checks: Check[] };
    return { code: result.code, checks: parsed.checks, text: result.stdout };
  };
  const clientDoctor = async (...extra: string[]): Promise<Report> => {
    const result = await cli(lab, "client", [
      "doctor",
      "--client",
      `my-vps.${SPLIT}`,
      "--port",
      String(TARGET_PORT),
      "--json",
      ...extra,
    ]);
    const parsed = JSON.parse(result.stdout) as { checks: Check[] };
    return { code: result.code, checks: parsed.checks, text: result.stdout };
  };
  const check = (report: Report, id: string): Check => {
    const found = report.checks.find((c) => c.id === id);
    if (!found) throw new Error(`no check ${id} in\n${report.text}`);
    return found;
  };
  const apply = () => cli(lab, "relay", ["agent", "apply", ...agentArgs(files, tailscale.binary)]);

  beforeAll(async () => {
    lab = await Lab.create();
    await startNsd(lab);
    await startTargetServer(lab);
    files = await writeAgentConfig(lab);
    tailscale = await installFakeTailscale(lab.dir, []);
    await tailscale.setStatus({ Self: { HostName: "relay", PrimaryRoutes: [PREFIX] } });
    // Self-repair off: the faults injected below must stand while doctor looks at them (the
    // repair itself is covered by nat64-data-plane.test.ts).
    agent = await startAgent(lab, files, tailscale.binary, {
      NAT64_RELAY_HEALTH_INTERVAL_MS: "0",
    });
    const installed = await cli(lab, "relay", [
      "agent",
      "install",
      "--no-start",
      ...agentArgs(files, tailscale.binary),
    ]);
    expect(installed.code, installed.stderr).toBe(0);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("passes every check on a healthy relay and client", async () => {
    const relay = await relayDoctor();
    expect(
      relay.checks.filter((c) => c.status !== "pass"),
      relay.text,
    ).toEqual([]);
    expect(relay.code).toBe(0);
    const client = await clientDoctor();
    expect(
      client.checks.filter((c) => c.status !== "pass"),
      client.text,
    ).toEqual([]);
    expect(client.code).toBe(0);
  });

  it("REFUSED: names the ACL / allowFrom", async () => {
    await writeFile(
      files.config,
      readFileSync(files.config, "utf8").replace('"fd7a:115c:a1e0::/48"', '"100.64.0.0/10"'),
    );
    agent.child.kill("SIGHUP");
    await waitFor("the reload to refuse the client", async () => {
      const { stdout } = await lab.exec("client", "dig", [
        "+time=1",
        "+tries=1",
        `my-vps.${SPLIT}`,
        "AAAA",
      ]);
      return stdout.includes("status: REFUSED");
    });
    const report = await clientDoctor();
    expect(report.code).toBe(1);
    expect(check(report, "dns-udp").cause).toMatch(/outside `allowFrom`/);
    await writeFile(
      files.config,
      readFileSync(files.config, "utf8").replace('"100.64.0.0/10"', '"fd7a:115c:a1e0::/48"'),
    );
    agent.child.kill("SIGHUP");
    await waitFor("the reload to answer the client again", async () => {
      const { stdout } = await lab.exec("client", "dig", [
        "+short",
        "+time=1",
        "+tries=1",
        `my-vps.${SPLIT}`,
        "AAAA",
      ]);
      return stdout.trim().length > 0;
    });
  });

  it("timeout: names a DNS server that is not listening / a wrong split-DNS target", async () => {
    await lab.exec("relay", "ip", [
      "addr",
      "add",
      "fd7a:115c:a1e0::53/64",
      "dev",
      "tailscale0",
      "nodad",
    ]);
    const report = await clientDoctor("--server", "fd7a:115c:a1e0::53");
    expect(report.code).toBe(1);
    expect(check(report, "dns-udp").cause).toMatch(
      /not running or not listening there, or the split DNS nameserver is the wrong address/,
    );
    expect(check(report, "dns-tcp").status).toBe("fail");
    await lab.exec("relay", "ip", ["addr", "del", "fd7a:115c:a1e0::53/64", "dev", "tailscale0"]);
  });

  it("UDP blocked: names it when TCP still gets through", async () => {
    await lab.exec("client", "nft", ["-f", "-"], {
      input:
        "table inet n64e2e_fault {\n  chain out {\n    type filter hook output priority 0; policy accept;\n    udp dport 53 drop\n  }\n}\n",
    });
    const report = await clientDoctor();
    await lab.exec("client", "nft", ["delete", "table", "inet", "n64e2e_fault"]);
    expect(report.code).toBe(1);
    expect(check(report, "dns-udp").cause).toMatch(/UDP to port 53 is blocked/);
    expect(check(report, "dns-tcp").status).toBe("pass");
  });

  it("CNAME leak: names a split-DNS target that follows the real zone", async () => {
    const report = await relayDoctor("--server", ADDR.upstream);
    expect(report.code).toBe(1);
    expect(check(report, "no-cname").cause).toMatch(/^CNAME leak/);
  });

  it("resolves but no traffic: names the unapproved route / --accept-routes", async () => {
    await lab.exec("client", "ip", ["-6", "route", "del", PREFIX]);
    const client = await clientDoctor();
    await lab.exec("client", "ip", ["-6", "route", "add", PREFIX, "via", ADDR.relay6]);
    expect(client.code).toBe(1);
    expect(check(client, "route").cause).toMatch(/not approved.*accept subnet routes/);
    await tailscale.setStatus({ Self: { HostName: "relay", PrimaryRoutes: [] } });
    const relay = await relayDoctor();
    await tailscale.setStatus({ Self: { HostName: "relay", PrimaryRoutes: [PREFIX] } });
    expect(check(relay, "route").cause).toMatch(/route is not approved/);
  });

  it("one-way: names the missing masquerade", async () => {
    const { stdout } = await lab.exec("relay", "nft", [
      "-a",
      "list",
      "chain",
      "inet",
      "nat64_relay",
      "postrouting",
    ]);
    const handle = stdout.match(/masquerade # handle (\d+)/)?.[1];
    expect(handle).toBeDefined();
    await lab.exec("relay", "nft", [
      "delete",
      "rule",
      "inet",
      "nat64_relay",
      "postrouting",
      "handle",
      handle ?? "",
    ]);
    const relay = await relayDoctor();
    const client = await clientDoctor();
    expect(relay.code).toBe(1);
    expect(check(relay, "traffic").cause).toMatch(
      /^one-way: packets leave but are not masqueraded/,
    );
    expect(check(relay, "table").detail).toMatch(/rules changed in postrouting/);
    expect(check(client, "icmp").status).toBe("fail");
    const repaired = await apply();
    expect(repaired.stdout).toMatch(/replace \(differs from desired\) table inet nat64_relay/);
    expect((await relayDoctor()).code).toBe(0);
  });

  it("detects a drop policy in another table's forward chain", async () => {
    await lab.exec("relay", "nft", ["-f", "-"], {
      input:
        "table inet n64e2e_foreign {\n  chain forward_filter {\n    type filter hook forward priority 10; policy drop;\n  }\n}\n",
    });
    const report = await relayDoctor();
    await lab.exec("relay", "nft", ["delete", "table", "inet", "n64e2e_foreign"]);
    expect(report.code).toBe(1);
    expect(check(report, "foreign-drop").detail).toMatch(
      /inet n64e2e_foreign forward_filter policy drop/,
    );
    expect(check(report, "foreign-drop").cause).toMatch(/does not override a drop/);
  });

  it("names missing persistence: table, sysctl file, unit", async () => {
    await lab.exec("relay", "nft", ["delete", "table", "inet", "nat64_relay"]);
    await lab.exec("relay", "rm", [`${files.root}/etc/sysctl.d/90-nat64-relay.conf`]);
    // What `systemctl disable` removes (the lab has no systemd: install made the symlink).
    await lab.exec("relay", "rm", [
      `${files.root}/etc/systemd/system/multi-user.target.wants/nat64-relay-agent.service`,
    ]);
    const report = await relayDoctor();
    expect(report.code).toBe(1);
    expect(check(report, "table").detail).toBe("missing");
    expect(check(report, "sysctl").detail).toMatch(/missing/);
    expect(check(report, "unit").cause).toMatch(/after a reboot nothing starts the agent/);
  });
});
