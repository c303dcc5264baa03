// A stand-in `tailscale` CLI for the lab (no tailscaled in namespaces): a shell script keeping
// prefs and status in JSON files, with `set --advertise-routes` replacing the list like the
// real one does.
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface FakeTailscale {
  readonly binary: string;
  setStatus(status: unknown): Promise<void>;
  prefsPath: string;
}

export async function installFakeTailscale(
  dir: string,
  initialRoutes: readonly string[],
): Promise<FakeTailscale> {
  const binary = join(dir, "tailscale");
  const prefsPath = join(dir, "tailscale-prefs.json");
  const statusPath = join(dir, "tailscale-status.json");
  await writeFile(prefsPath, JSON.stringify({ AdvertiseRoutes: initialRoutes }));
  await writeFile(statusPath, JSON.stringify({ Self: { HostName: "relay", PrimaryRoutes: [] } }));
  await writeFile(
    binary,
    `#!/bin/sh
# fake tailscale CLI for the nat64-relay e2e lab
case "$1" in
  version) echo "1.80.0-fake" ;;
  ip) echo 100.101.102.103; echo fd7a:115c:a1e0::1 ;;
  debug) cat '${prefsPath}' ;;
  status) cat '${statusPath}' ;;
  set)
    routes="\${2#--advertise-routes=}"
    list=$(printf '%s' "$routes" | sed 's/[^,][^,]*/"&"/g')
    printf '{"AdvertiseRoutes":[%s]}' "$list" > '${prefsPath}' ;;
  *) echo "fake tailscale: unsupported $*" >&2; exit 2 ;;
esac
`,
  );
  await chmod(binary, 0o755);
  return {
    binary,
    prefsPath,
    setStatus: (status) => writeFile(statusPath, JSON.stringify(status)),
  };
}
