// Dispatch for the data-plane subcommands; each one's logic lives in its own file.
import type { Values } from "../cli.ts";
import type { AgentEnv } from "../env.ts";
import { realDataPlaneHost } from "../host/real-host.ts";
import { commonOptions } from "./options.ts";

export async function runDataPlaneCommand(
  subcommand: "apply" | "doctor" | "install" | "uninstall",
  values: Values,
  env: AgentEnv,
): Promise<number> {
  const options = commonOptions(values, env);
  const host = realDataPlaneHost(
    options.tailscaleBinary ? { tailscaleBinary: options.tailscaleBinary } : {},
  );
  switch (subcommand) {
    case "apply":
      return (await import("./apply.ts")).applyCommand(
        { ...options, dryRun: values["dry-run"] === true },
        host,
      );
    case "doctor":
      return (await import("./doctor.ts")).doctorCommand(options, host, {
        json: values.json === true,
        ...(typeof values.probe === "string" ? { probe: values.probe } : {}),
        ...(typeof values.server === "string" ? { server: values.server } : {}),
      });
    case "install":
      return (await import("./install.ts")).installCommand(options, {
        start: values["no-start"] !== true,
        configGiven: typeof values.config === "string",
        ...(typeof values.api === "string" ? { api: values.api } : {}),
        ...(typeof values["token-file"] === "string" ? { tokenFile: values["token-file"] } : {}),
      });
    case "uninstall":
      return (await import("./uninstall.ts")).uninstallCommand(
        { ...options, purge: values.purge === true },
        host,
      );
  }
}
