// Shared by the nat64 unit tests: a resolved config and a temp root.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RelayConfig,
  type RelayConfigInput,
  type ResolvedRelayConfig,
  resolveRelayConfig,
} from "../../../src/core/index.ts";

export function resolvedConfig(overrides: Partial<RelayConfigInput> = {}): ResolvedRelayConfig {
  const config = RelayConfig.parse({
    prefix: "fd4e:2a91:7c3d:6464::/96",
    pool: "192.168.240.0/20",
    egressInterfaces: ["eth0"],
    listen: ["[fd7a:115c:a1e0::1]:53"],
    splitDomains: [{ name: "r9929", realSuffix: "tail1234.ts.net" }],
    ...overrides,
  });
  return resolveRelayConfig(config, { generatedPrefix: "fd00:1:2:6464::/96", tailscaleIps: [] });
}

export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), "n64unit-"));
}
