// The tailscale CLI's output is parsed at the edge: a real CLI stand-in (a shell script) that
// prints the expected shapes works, one that prints something else fails with one line.
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RealTailscaleCli } from "../../../src/relay-agent/host/tailscale-cli.ts";

async function cliPrinting(outputs: Record<string, string>): Promise<RealTailscaleCli> {
  const dir = await mkdtemp(join(tmpdir(), "n64unit-tailscale-"));
  const binary = join(dir, "tailscale");
  const cases = Object.entries(outputs)
    .map(([command, output]) => `  ${command}) printf '%s' '${output}' ;;`)
    .join("\n");
  await writeFile(binary, `#!/bin/sh\ncase "$1" in\n${cases}\n  *) exit 2 ;;\nesac\n`);
  await chmod(binary, 0o755);
  return new RealTailscaleCli(binary);
}

describe("RealTailscaleCli", () => {
  it("reads addresses, advertised routes and status in the shapes tailscale prints", async () => {
    const cli = await cliPrinting({
      version: "1.80.0",
      ip: "100.101.102.103\nfd7a:115c:a1e0::1\n",
      debug: '{"AdvertiseRoutes":["10.0.0.0/24"],"WantRunning":true}',
      status: '{"Self":{"HostName":"relay","PrimaryRoutes":null},"Version":"1.80.0"}',
    });
    expect(await cli.available()).toBe(true);
    expect(await cli.ips()).toEqual(["100.101.102.103", "fd7a:115c:a1e0::1"]);
    expect(await cli.advertisedRoutes()).toEqual(["10.0.0.0/24"]);
    expect(await cli.status()).toEqual({
      Self: { HostName: "relay", PrimaryRoutes: null },
      Version: "1.80.0",
    });
  });

  it("null AdvertiseRoutes means none", async () => {
    const cli = await cliPrinting({ debug: '{"AdvertiseRoutes":null}' });
    expect(await cli.advertisedRoutes()).toEqual([]);
  });

  it("fails with one line naming the command when the output has another shape", async () => {
    const cli = await cliPrinting({
      ip: "not an address\n",
      debug: '{"AdvertiseRoutes":"10.0.0.0/24"}',
      status: "Logged out.",
    });
    await expect(cli.ips()).rejects.toThrow(
      /^`tailscale ip` printed something unexpected \(0: .+\): is this a supported tailscale version\?$/,
    );
    await expect(cli.advertisedRoutes()).rejects.toThrow(
      /^`tailscale debug prefs` printed something unexpected \(AdvertiseRoutes: .+\)/,
    );
    await expect(cli.status()).rejects.toThrow("`tailscale status --json` did not print JSON");
  });
});
