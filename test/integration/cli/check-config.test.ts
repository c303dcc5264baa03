import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = new URL("../../../bin/nat64-relay.js", import.meta.url).pathname;

async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function configFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "n64-cli-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("nat64-relay command", () => {
  it("lists its commands with --help", async () => {
    const result = await cli("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: nat64-relay <command>");
    expect(result.stdout).toContain("agent");
  });

  it("refuses an unknown command with exit 2 and the usage", async () => {
    const result = await cli("frobnicate");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it("accepts a valid YAML file and prints the numeric-label warning", async () => {
    const path = configFile(
      "relay.yaml",
      "splitDomains:\n  - name: 9929\n    realSuffix: tail1234.ts.net\n",
    );
    const result = await cli("agent", "check-config", "--config", path);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("ok (1 split domains)");
    expect(result.stderr).toContain('warning: "9929" ends in the all-digit label');
  });

  it("rejects a bad JSON file naming each key path and exits non-zero", async () => {
    const path = configFile(
      "relay.json",
      JSON.stringify({
        pool: "100.100.0.0/20",
        splitDomains: [{ name: "co.uk", realSuffix: "x.ts.net" }],
      }),
    );
    const result = await cli("agent", "check-config", "--config", path);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("pool: 100.100.0.0/20 is inside 100.64.0.0/10");
    expect(result.stderr).toContain('splitDomains.0.name: "co.uk" is a public suffix');
  });

  it("says when the config file does not exist", async () => {
    const result = await cli("agent", "check-config", "--config", "/nonexistent/relay.yaml");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read /nonexistent/relay.yaml: no such file");
  });
});
