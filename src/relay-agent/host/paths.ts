// Where the agent keeps its files. Everything hangs off one root ("/" on a real host) so tests
// and the e2e lab can point it at a temporary directory.
import { join } from "node:path";

export interface HostPaths {
  readonly root: string;
  /** Config directory: /etc/nat64-relay */
  readonly etcDir: string;
  /** State directory: /var/lib/nat64-relay */
  readonly stateDir: string;
  /** Persisted forwarding sysctls: /etc/sysctl.d/90-nat64-relay.conf */
  readonly sysctlFile: string;
  /** systemd unit: /etc/systemd/system/nat64-relay-agent.service */
  readonly unitFile: string;
  readonly taygaConf: string;
  readonly taygaDataDir: string;
  /** What apply changed on the host, so uninstall undoes exactly that. */
  readonly dataPlaneRecord: string;
  /** What install wrote, so uninstall removes exactly that. */
  readonly installRecord: string;
  /** The open-proxy guard's allowed addresses, restored into the set after a reboot. */
  readonly guardState: string;
}

export const UNIT_NAME = "nat64-relay-agent.service";

/** `stateDir` overrides the state directory (`agent run --state-dir`); the rest follows root. */
export function hostPaths(root = "/", stateDir = join(root, "var/lib/nat64-relay")): HostPaths {
  return {
    root,
    etcDir: join(root, "etc/nat64-relay"),
    stateDir,
    sysctlFile: join(root, "etc/sysctl.d/90-nat64-relay.conf"),
    unitFile: join(root, "etc/systemd/system", UNIT_NAME),
    taygaConf: join(stateDir, "tayga.conf"),
    taygaDataDir: join(stateDir, "tayga"),
    dataPlaneRecord: join(stateDir, "data-plane.json"),
    installRecord: join(stateDir, "install.json"),
    guardState: join(stateDir, "guard.json"),
  };
}
