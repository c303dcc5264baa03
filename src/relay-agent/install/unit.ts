// The systemd unit `agent install` writes. Pure.

export interface UnitInput {
  /** The command that starts nat64-relay (launcher.ts), e.g. [node, bin/nat64-relay.js]. */
  readonly launcher: readonly string[];
  /** Path as seen on the running host (not under a test root). */
  readonly configPath: string;
  /** `--state-dir` for the service, when install was given one (host path). */
  readonly stateDir?: string;
}

export function renderUnit(input: UnitInput): string {
  return [
    "# Written by `nat64-relay agent install`; removed by `nat64-relay agent uninstall`.",
    "[Unit]",
    "Description=nat64-relay agent (split-DNS synthesis and NAT64 data plane)",
    "Documentation=file:///usr/share/doc/nat64-relay/relay-agent-nat64.md",
    // Tailscale must be up first: DNS listens on its addresses and routes are advertised through it.
    "After=network-online.target tailscaled.service",
    "Wants=network-online.target tailscaled.service",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${input.launcher.join(" ")} agent run --config ${input.configPath}${input.stateDir ? ` --state-dir ${input.stateDir}` : ""}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    "Restart=always",
    "RestartSec=2",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
