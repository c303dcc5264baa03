import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyCommand } from "../../../src/relay-agent/commands/apply.ts";
import { hostPaths } from "../../../src/relay-agent/host/paths.ts";
import { fakeHost } from "../../fakes/fake-host.ts";
import { tempRoot } from "./helpers.ts";

async function setup() {
  const root = await tempRoot();
  const configPath = join(root, "relay.yaml");
  await writeFile(
    configPath,
    "prefix: fd4e:2a91:7c3d:6464::/96\negressInterfaces: [eth0]\nlisten: ['127.0.0.1:5353']\nsplitDomains:\n  - name: r9929\n    realSuffix: tail1234.ts.net\n",
  );
  const lines: string[] = [];
  const out = {
    log: (line: string) => lines.push(line),
    error: (line: string) => lines.push(`E ${line}`),
  };
  return {
    options: { configPath, paths: hostPaths(root) },
    lines,
    out,
    host: fakeHost({ routes: ["10.0.0.0/24"] }),
  };
}

describe("agent apply", () => {
  it("--dry-run prints ruleset, routes, tayga.conf, sysctls and the tailscale change, touching nothing", async () => {
    const { options, lines, out, host } = await setup();
    expect(await applyCommand({ ...options, dryRun: true }, host, out)).toBe(0);
    const text = lines.join("\n");
    expect(text).toContain("Plan (dry run, nothing is changed)");
    expect(text).toContain('oifname { "eth0" } counter name masqueraded masquerade');
    expect(text).toContain("    fd4e:2a91:7c3d:6464::/96 dev nat64relay");
    expect(text).toContain("    dynamic-pool 192.168.240.0/20");
    expect(text).toContain("    net.ipv6.conf.all.forwarding = 1");
    expect(text).toContain(
      "[tailscale] tailscale set --advertise-routes=10.0.0.0/24,fd4e:2a91:7c3d:6464::/96",
    );
    expect(host.nft.tables.size).toBe(0);
    expect(host.ip.links.size).toBe(0);
    expect(await host.sysctl.get("net.ipv4.ip_forward")).toBe("0");
    expect(host.tailscale.routes).toEqual(["10.0.0.0/24"]);
  });

  it("applies once, then says there is nothing to change", async () => {
    const { options, lines, out, host } = await setup();
    expect(await applyCommand({ ...options, dryRun: false }, host, out)).toBe(0);
    expect(lines).toContain("applied.");
    // The fast path is attached to the tun the same apply created: the plan's last change.
    expect(lines[0]?.split("\n").at(-1)).toMatch(
      /^ {2}\[bpf\] attach the fast path to nat64relay egress: /,
    );
    expect([...host.bpf.filters.keys()]).toEqual(["nat64relay"]);
    lines.length = 0;
    expect(await applyCommand({ ...options, dryRun: false }, host, out)).toBe(0);
    expect(lines[0]).toBe("No changes: the host already matches the desired state.");
  });

  it("fails with the exact config problem", async () => {
    const { options, lines, out, host } = await setup();
    await writeFile(options.configPath, "pool: 100.64.0.0/20\n");
    expect(await applyCommand({ ...options, dryRun: true }, host, out)).toBe(1);
    expect(lines.join("\n")).toMatch(
      /^E .* is not a valid relay config:\npool: 100\.64\.0\.0\/20 is inside 100\.64\.0\.0\/10/,
    );
  });
});
