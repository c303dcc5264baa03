// The tailscale CLI on the relay node, behind a small interface (real and fake).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TailscaleCli {
  /** False when the tailscale binary is absent (DNS-only labs, e2e). */
  available(): Promise<boolean>;
  /** This node's Tailscale addresses (`tailscale ip`). */
  ips(): Promise<string[]>;
  /** The routes this node advertises now (`tailscale debug prefs` → AdvertiseRoutes). */
  advertisedRoutes(): Promise<string[]>;
  /** REPLACES the whole advertised list (`tailscale set --advertise-routes=`): merge first. */
  setAdvertisedRoutes(routes: readonly string[]): Promise<void>;
  /** `tailscale status --json`, parsed. */
  status(): Promise<Record<string, unknown>>;
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
    return stdout
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  }

  async advertisedRoutes(): Promise<string[]> {
    const { stdout } = await run(this.binary, ["debug", "prefs"], { timeout: 5000 });
    const prefs = JSON.parse(stdout) as { AdvertiseRoutes?: string[] | null };
    return prefs.AdvertiseRoutes ?? [];
  }

  async setAdvertisedRoutes(routes: readonly string[]): Promise<void> {
    await run(this.binary, ["set", `--advertise-routes=${routes.join(",")}`], { timeout: 15000 });
  }

  async status(): Promise<Record<string, unknown>> {
    const { stdout } = await run(this.binary, ["status", "--json"], { timeout: 5000 });
    return JSON.parse(stdout) as Record<string, unknown>;
  }
}
