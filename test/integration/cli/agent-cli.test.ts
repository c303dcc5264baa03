// The agent CLI's edges: a misspelt flag, a stray argument, an unknown subcommand and a bad
// environment value each stop with a non-zero exit and one line that names the culprit.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = new URL("../../../bin/nat64-relay.js", import.meta.url).pathname;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("nat64-relay agent command line", () => {
  it("refuses a misspelt flag with exit 2, naming it and the flag meant, then the usage line", async () => {
    const result = await cli(["agent", "run", "--confg", "/etc/x.yaml"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      "nat64-relay agent run: unknown option --confg (did you mean --config?)",
      "Usage: nat64-relay agent run [--config FILE] [--root DIR] [--state-dir DIR] [--workers N] [--tailscale BIN] [--api URL --token-file FILE]",
    ]);
  });

  it("refuses --worker (for --workers) instead of ignoring it", async () => {
    const result = await cli(["agent", "run", "--worker", "4"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(
      "nat64-relay agent run: unknown option --worker (did you mean --workers?)",
    );
  });

  it("refuses a flag of another subcommand and a stray argument", async () => {
    const flag = await cli(["agent", "check-config", "--dry-run"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr.split("\n")[0]).toBe(
      "nat64-relay agent check-config: unknown option --dry-run",
    );
    const stray = await cli(["agent", "apply", "--dry-run", "now"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr.split("\n")[0]).toBe('nat64-relay agent apply: unexpected argument "now"');
  });

  it("refuses an unknown subcommand with exit 2 and a suggestion", async () => {
    const result = await cli(["agent", "docter"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(
      'nat64-relay agent: unknown subcommand "docter" (did you mean doctor?)',
    );
  });

  it("refuses a bad environment value as a usage error (exit 2), one line naming the variable, no stack", async () => {
    const result = await cli(["agent", "check-config", "--config", "/nonexistent.yaml"], {
      NAT64_RELAY_LOG_LEVEL: "verbose",
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      'nat64-relay agent check-config: NAT64_RELAY_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ]);
  });

  it("names a bad --workers value with exit 2", async () => {
    const result = await cli(["agent", "run", "--workers", "four"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(
      'nat64-relay agent run: --workers must be a whole number from 1 to 64, got "four"',
    );
  });

  it("prints each subcommand's own help with exit 0", async () => {
    const result = await cli(["agent", "apply", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(
      "Usage: nat64-relay agent apply [--config FILE] [--root DIR] [--state-dir DIR] [--tailscale BIN] [--dry-run]",
    );
  });

  it("prints every subcommand's own help with exit 0, and takes --root and --state-dir wherever host files are used", async () => {
    const synopses: Record<string, string> = {};
    for (const name of ["check-config", "run", "apply", "doctor", "install", "uninstall"]) {
      const result = await cli(["agent", name, "--help"]);
      expect([result.code, result.stderr]).toEqual([0, ""]);
      synopses[name] = result.stdout.split("\n")[0] ?? "";
    }
    for (const name of ["run", "apply", "doctor", "install", "uninstall"]) {
      expect(synopses[name]).toMatch(/\[--root DIR\] \[--state-dir DIR\]/);
    }
    expect(synopses["check-config"]).toBe("Usage: nat64-relay agent check-config [--config FILE]");
  });

  it("exits 1 for a failed check: check-config of a missing file", async () => {
    const bad = await cli(["agent", "check-config", "--config", "/nonexistent.yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trimEnd().split("\n")).toEqual([
      "nat64-relay agent check-config: /nonexistent.yaml is not a valid relay config:",
      "cannot read /nonexistent.yaml: no such file",
    ]);
  });
});
