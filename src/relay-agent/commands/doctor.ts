// `nat64-relay agent doctor [--json] [--probe host] [--server addr]`.
import { doctorExitCode, formatChecks } from "../doctor/check.ts";
import { queryDns } from "../doctor/dns-probe.ts";
import { pingWith } from "../doctor/probes.ts";
import { runRelayDoctor } from "../doctor/relay-doctor.ts";
import type { DataPlaneHost } from "../resources/data-plane-host.ts";
import { systemdFor } from "./install.ts";
import { managedDoctorConfig } from "./managed-doctor.ts";
import { type CommonOptions, loadResolvedConfig } from "./options.ts";
import { readGeneratedPrefix } from "./prefix-state.ts";

export async function doctorCommand(
  options: CommonOptions,
  host: DataPlaneHost,
  flags: { json: boolean; probe?: string; server?: string },
): Promise<number> {
  const tailscaleIps =
    host.tailscale && (await host.tailscale.available())
      ? await host.tailscale.ips().catch(() => [])
      : [];
  const generatedPrefix = await readGeneratedPrefix(options.paths);
  const managed = await managedDoctorConfig(options, {
    ...(generatedPrefix ? { generatedPrefix } : {}),
    tailscaleIps,
  });
  const loaded =
    managed?.loaded ??
    (await loadResolvedConfig(options, {
      prefix: async () => generatedPrefix,
      tailscaleIps: async () => tailscaleIps,
    }));
  if (!loaded.ok) {
    const linkChecks = managed?.linkChecks ?? [];
    if (flags.json) {
      console.log(JSON.stringify({ ok: false, checks: linkChecks, error: loaded.message }));
    } else {
      if (linkChecks.length) console.log(formatChecks(linkChecks));
      console.error(`✘ config: ${loaded.message}`);
    }
    return 1;
  }
  const checks = [...(managed?.linkChecks ?? [])];
  checks.push(
    ...(await runRelayDoctor({
      config: loaded.config,
      paths: options.paths,
      host,
      systemd: systemdFor(options.paths.root),
      query: queryDns,
      ping: pingWith(host.exec),
      ...(flags.probe ? { probeName: flags.probe } : {}),
      ...(flags.server ? { server: flags.server } : {}),
    })),
  );
  const code = doctorExitCode(checks);
  console.log(
    flags.json ? JSON.stringify({ ok: code === 0, checks }, null, 2) : formatChecks(checks),
  );
  return code;
}
