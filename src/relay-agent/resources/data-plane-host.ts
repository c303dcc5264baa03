// The host systems the data plane's resources observe and change, each behind a small interface
// with a real implementation (host/real-host.ts) and a fake (test/fakes/fake-host.ts).
import type { Exec } from "../host/exec.ts";
import type { IpRoute } from "../host/ip-route.ts";
import type { Nftables } from "../host/nftables.ts";
import type { Sysctl } from "../host/sysctl.ts";
import type { TailscaleCli } from "../host/tailscale-cli.ts";
import type { TaygaProcesses } from "../nat64/tayga-processes.ts";
import type { BpfTools } from "./accelerators/fast-path/bpf-tools.ts";

export interface DataPlaneHost {
  readonly nft: Nftables;
  readonly ip: IpRoute;
  readonly sysctl: Sysctl;
  /** undefined: no tailscale integration at all (same as the CLI being absent). */
  readonly tailscale?: TailscaleCli;
  /** Runs tayga --mktun and jool. */
  readonly exec: Exec;
  /** clang, tc and bpftool for the fast path; default: the real ones through exec. */
  readonly bpf?: BpfTools;
  /** tayga's processes; default: /proc and signals, no supervisor (`agent run` adds one). */
  readonly tayga?: TaygaProcesses;
}
