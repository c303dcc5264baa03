// `nat64-relay agent run --config FILE [--state-dir DIR]`: parse the options at the edge,
// build the real dependencies, hand over to runAgent.
import { join } from "node:path";
import { pino } from "pino";
import { RealTailscaleCli } from "../host/tailscale-cli.ts";
import { createAgentDataPlane } from "../nat64/agent-data-plane.ts";
import { runAgent } from "../run.ts";
import { DEFAULT_STATE_DIR } from "../state/prefix-store.ts";

export interface RunCommandOptions {
  readonly configPath: string;
  readonly values: Record<string, string | boolean | undefined>;
  readonly env: NodeJS.ProcessEnv;
}

export async function runCommand({ configPath, values, env }: RunCommandOptions): Promise<number> {
  const root = typeof values.root === "string" ? values.root : env.NAT64_RELAY_ROOT;
  const stateDir =
    typeof values["state-dir"] === "string"
      ? values["state-dir"]
      : root
        ? join(root, "var/lib/nat64-relay")
        : DEFAULT_STATE_DIR;
  const tailscaleBinary =
    typeof values.tailscale === "string"
      ? values.tailscale
      : (env.NAT64_RELAY_TAILSCALE ?? "tailscale");
  const logger = pino({ name: "nat64-relay-agent", level: env.NAT64_RELAY_LOG_LEVEL ?? "info" });
  return runAgent({
    configPath,
    stateDir,
    tailscale: new RealTailscaleCli(tailscaleBinary),
    logger,
    // NAT64 data plane (issue 4): tayga/jool per `engine`; none: DNS only.
    createDataPlane: (config) =>
      createAgentDataPlane(config, {
        root: root ?? "/",
        tailscaleBinary,
        logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
      }),
  });
}
