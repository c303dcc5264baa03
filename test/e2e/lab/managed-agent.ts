// A managed agent's files in the lab: the local file (api, tokenFile, listen) and the token file
// (0600) under its own root, and the identity its fake tailscale CLI reports.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FakeTailscale } from "./fake-tailscale.ts";
import type { AgentFiles } from "./services.ts";

export async function managedAgentFiles(
  dir: string,
  api: string,
  token: string,
  listen: string,
): Promise<AgentFiles> {
  const root = join(dir, "root");
  const tokenFile = join(root, "etc/nat64-relay/agent-token");
  await mkdir(join(root, "etc/nat64-relay"), { recursive: true });
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  await chmod(tokenFile, 0o600);
  const config = join(dir, "local.yaml");
  await writeFile(config, `api: ${api}\ntokenFile: ${tokenFile}\nlisten: ["${listen}"]\n`);
  return { config, root };
}

/** What `tailscale status --json` says about Self: the node id, host name and Tailscale IPs. */
export async function setFakeIdentity(
  tailscale: FakeTailscale,
  id: string,
  hostname: string,
  ips: readonly string[],
): Promise<void> {
  await tailscale.setStatus({
    BackendState: "Running",
    Self: { ID: id, HostName: hostname, TailscaleIPs: ips, PrimaryRoutes: [] },
  });
}
