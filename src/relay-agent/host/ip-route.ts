// Links and routes (iproute2) behind a small interface; the fake lives in test/fakes.
import { canonicalCidr } from "./cidr-text.ts";
import type { Exec } from "./exec.ts";

export interface Route {
  readonly family: 4 | 6;
  readonly destination: string;
  readonly device: string;
}

export interface IpRoute {
  linkExists(name: string): Promise<boolean>;
  linkUp(name: string): Promise<boolean>;
  setLinkUp(name: string): Promise<void>;
  deleteLink(name: string): Promise<void>;
  /** Routes through one device, main table. */
  routes(device: string): Promise<Route[]>;
  addRoute(route: Route): Promise<void>;
  deleteRoute(route: Route): Promise<void>;
  /** Every address configured on this host (netns), without prefix length. */
  addresses(): Promise<string[]>;
}

interface IpLink {
  ifname: string;
  flags?: string[];
}

/** `ip -j route` prints a host route without "/len" and "default" for /0: normalize to
 * canonical CIDR text, the form the config's prefix and pool are in. */
export function normalizeDestination(family: 4 | 6, destination: string): string {
  if (destination === "default") return family === 4 ? "0.0.0.0/0" : "::/0";
  return canonicalCidr(
    destination.includes("/") ? destination : `${destination}/${family === 4 ? 32 : 128}`,
  );
}

export class RealIpRoute implements IpRoute {
  private readonly exec: Exec;

  constructor(exec: Exec) {
    this.exec = exec;
  }

  private async link(name: string): Promise<IpLink | undefined> {
    try {
      const { stdout } = await this.exec("ip", ["-j", "link", "show", "dev", name]);
      return (JSON.parse(stdout) as IpLink[])[0];
    } catch (error) {
      if (/does not exist|Cannot find device/i.test(String((error as Error).message))) {
        return undefined;
      }
      throw error;
    }
  }

  async linkExists(name: string): Promise<boolean> {
    return (await this.link(name)) !== undefined;
  }

  async linkUp(name: string): Promise<boolean> {
    return (await this.link(name))?.flags?.includes("UP") ?? false;
  }

  async setLinkUp(name: string): Promise<void> {
    await this.exec("ip", ["link", "set", "dev", name, "up"]);
  }

  async deleteLink(name: string): Promise<void> {
    await this.exec("ip", ["link", "delete", "dev", name]);
  }

  async routes(device: string): Promise<Route[]> {
    if (!(await this.linkExists(device))) return [];
    const result: Route[] = [];
    for (const family of [4, 6] as const) {
      const { stdout } = await this.exec("ip", [
        `-${family}`,
        "-j",
        "route",
        "show",
        "dev",
        device,
      ]);
      for (const route of JSON.parse(stdout || "[]") as { dst: string }[]) {
        result.push({ family, destination: normalizeDestination(family, route.dst), device });
      }
    }
    return result;
  }

  async addRoute(route: Route): Promise<void> {
    await this.exec("ip", [
      `-${route.family}`,
      "route",
      "replace",
      route.destination,
      "dev",
      route.device,
    ]);
  }

  async deleteRoute(route: Route): Promise<void> {
    await this.exec("ip", [
      `-${route.family}`,
      "route",
      "delete",
      route.destination,
      "dev",
      route.device,
    ]);
  }

  async addresses(): Promise<string[]> {
    const { stdout } = await this.exec("ip", ["-j", "address", "show"]);
    const links = JSON.parse(stdout) as { addr_info?: { local: string }[] }[];
    return links.flatMap((link) => (link.addr_info ?? []).map((info) => info.local));
  }
}
