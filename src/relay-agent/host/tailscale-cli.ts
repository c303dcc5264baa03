// The tailscale CLI on the relay node, behind a small interface (real and fake). Its output is
// parsed with zod at this edge: a CLI that prints something else fails with one line saying
// which command and what was wrong, not with a TypeError later.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { z } from "zod";
import { AgentError } from "../errors.ts";

const run = promisify(execFile);

export interface TailscaleCli {
  /** False when the tailscale binary is absent (DNS-only labs, e2e). */
  available(): Promise<boolean>;
  /** This node's Tailscale addresses (`tailscale ip`). */
  ips(): Promise<string[]>;
  /** The routes this node advertises now (`tailscale debug prefs` → AdvertiseRoutes). */
  advertisedRoutes(): Promise<string[]>;
  /**
   * REPLACES the whole advertised list (`tailscale set --advertise-routes=`): merge first
   * (docs/design.md, "Tailscale facts").
   */
  setAdvertisedRoutes(routes: readonly string[]): Promise<void>;
  /** `tailscale status --json`, parsed. */
  status(): Promise<Record<string, unknown>>;
}

/** `tailscale ip`: one address per line. */
export const TailscaleIps = z.array(z.union([z.ipv4(), z.ipv6()]));

/** `tailscale debug prefs`: only the key we read is checked; the rest may change freely. */
export const TailscalePrefs = z.looseObject({
  AdvertiseRoutes: z.array(z.string()).nullish(),
});

/**
 * `tailscale status --json`: an object; the doctor reads Self.HostName and Self.PrimaryRoutes
 * (what they mean: docs/design.md, "Tailscale facts").
 */
export const TailscaleStatus = z.looseObject({
  Self: z
    .looseObject({
      HostName: z.string().optional(),
      PrimaryRoutes: z.array(z.string()).nullish(),
      AllowedIPs: z.array(z.string()).nullish(),
    })
    .optional(),
});

/** Parses a command's output, or throws one line naming the command and the first problem. */
export function parseOutput<T>(command: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
  throw new AgentError(
    "host_failed",
    `\`${command}\` printed something unexpected (${where}${issue?.message ?? "invalid"}): is this a supported tailscale version?`,
  );
}

function parseJson(command: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AgentError("host_failed", `\`${command}\` did not print JSON`);
  }
}

export class RealTailscaleCli implements TailscaleCli {
  private readonly binary: string;

  constructor(binary = "tailscale") {
    this.binary = binary;
  }

  async available(): Promise<boolean> {
    try {
      await run(this.binary, ["version"], { timeout: 5000 });
      return true;
    } catch {
      return false;
    }
  }

  async ips(): Promise<string[]> {
    const { stdout } = await run(this.binary, ["ip"], { timeout: 5000 });
    const lines = stdout
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    return parseOutput("tailscale ip", TailscaleIps, lines);
  }

  async advertisedRoutes(): Promise<string[]> {
    const { stdout } = await run(this.binary, ["debug", "prefs"], { timeout: 5000 });
    const command = "tailscale debug prefs";
    return parseOutput(command, TailscalePrefs, parseJson(command, stdout)).AdvertiseRoutes ?? [];
  }

  async setAdvertisedRoutes(routes: readonly string[]): Promise<void> {
    await run(this.binary, ["set", `--advertise-routes=${routes.join(",")}`], { timeout: 15000 });
  }

  async status(): Promise<Record<string, unknown>> {
    const { stdout } = await run(this.binary, ["status", "--json"], { timeout: 5000 });
    const command = "tailscale status --json";
    return parseOutput(command, TailscaleStatus, parseJson(command, stdout));
  }
}
