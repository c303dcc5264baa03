// A faithful in-memory tailscale CLI: set replaces the whole advertised list, like the real one.
import type { TailscaleCli } from "../../src/relay-agent/host/tailscale-cli.ts";

export class FakeTailscaleCli implements TailscaleCli {
  readonly calls: string[] = [];
  routes: string[] = [];
  addresses: string[] = ["100.101.102.103", "fd7a:115c:a1e0::1"];
  statusJson: Record<string, unknown> = {};
  installed = true;

  constructor(
    initial: Partial<
      Pick<FakeTailscaleCli, "routes" | "addresses" | "statusJson" | "installed">
    > = {},
  ) {
    Object.assign(this, initial);
  }

  async available(): Promise<boolean> {
    return this.installed;
  }
  async ips(): Promise<string[]> {
    this.calls.push("ip");
    return [...this.addresses];
  }
  async advertisedRoutes(): Promise<string[]> {
    this.calls.push("debug prefs");
    return [...this.routes];
  }
  async setAdvertisedRoutes(routes: readonly string[]): Promise<void> {
    this.calls.push(`set --advertise-routes=${routes.join(",")}`);
    this.routes = [...routes];
  }
  async status(): Promise<Record<string, unknown>> {
    this.calls.push("status --json");
    return this.statusJson;
  }
}
