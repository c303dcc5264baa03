// Dispatch for the data-plane subcommands; each one's logic lives in its own file.
import { usageError, type Values } from "../cli.ts";
import type { AgentEnv } from "../env.ts";
import { realDataPlaneHost } from "../host/real-host.ts";
import { commonOptions } from "./options.ts";

export async function runDataPlaneCommand(
  subcommand: "apply" | "doctor" | "install" | "uninstall",
  values: Values,
  env: AgentEnv,
): Promise<number> {
  if (subcommand === "doctor" && typeof values.client === "string") {
    return clientDoctor(values);
  }
  if (subcommand === "doctor" && (values.port !== undefined || values.overlay !== undefined)) {
    throw usageError("--port and --overlay go with --client (the client-side checks)");
  }
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

/** `agent doctor --client NAME`: the client-side checks, as `nat64-relay doctor --client`. */
async function clientDoctor(values: Values): Promise<number> {
  const { clientDoctorFlags, runClientDoctorCommand } = await import("../doctor/client-command.ts");
  const relayOnly = ["probe", "config", "root", "state-dir", "tailscale"].find(
    (name) => values[name] !== undefined,
  );
  if (relayOnly) throw usageError(`--${relayOnly} is for the relay's checks, not with --client`);
  const checked = clientDoctorFlags(values);
  if (!checked.ok) throw usageError(checked.problem);
  return runClientDoctorCommand(checked.flags);
}
