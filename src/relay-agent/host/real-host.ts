// The real host systems, wired once at the CLI edge.
import type { DataPlaneHost } from "../resources/data-plane-host.ts";
import { realExec } from "./exec.ts";
import { RealIpRoute } from "./ip-route.ts";
import { RealNftables } from "./nftables.ts";
import { RealSysctl } from "./sysctl.ts";
import { RealTailscaleCli } from "./tailscale-cli.ts";

export function realDataPlaneHost(options: { tailscaleBinary?: string } = {}): DataPlaneHost {
  return {
    exec: realExec,
    nft: new RealNftables(realExec),
    ip: new RealIpRoute(realExec),
    sysctl: new RealSysctl(),
    tailscale: new RealTailscaleCli(options.tailscaleBinary),
  };
}
