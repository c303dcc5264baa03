// The jool kernel NAT64 instance (netfilter mode, pool6 = the prefix). Looked at only when the
// desired state wants it or the record says we added one.
import { includesCidr } from "../host/cidr-text.ts";
import { ipv6Prefixes, joolStatusCommand, joolTeardownCommands } from "../nat64/jool.ts";
import type { DataPlaneHost } from "./data-plane-host.ts";
import { APPLY_FIX, type HealthCheck, leftover } from "./health-check.ts";
import type { HostResource } from "./resource.ts";
import { planned } from "./resource.ts";

const joolCheck = (prefix: string): HealthCheck => ({
  id: "jool",
  title: `jool instance with pool6 ${prefix}`,
  impact: "nothing translates: packets to the prefix go nowhere",
  fix: APPLY_FIX,
  healthy: "present",
});

/** `jool global display` output of our instance; undefined: no instance (or no jool). */
export interface ObservedJool {
  readonly display: string | undefined;
}

async function runAll(host: DataPlaneHost, commands: readonly string[][]): Promise<void> {
  for (const [command, ...args] of commands) await host.exec(command ?? "", args);
}

export const joolInstanceResource: HostResource<ObservedJool> = {
  name: "jool-instance",
  async observe({ desired, record, host }) {
    if (!desired.jool && !record.jool) return { display: undefined };
    const [command = "jool", ...args] = joolStatusCommand();
    const display = await host.exec(command, args).then(
      (result) => result.stdout,
      () => undefined,
    );
    return { display };
  },
  plan(desired, { display }, record, host) {
    if (desired.jool) {
      const check = joolCheck(desired.prefix);
      if (display !== undefined && includesCidr(ipv6Prefixes(display), desired.prefix)) {
        return planned([check], []);
      }
      const commands = desired.jool.commands;
      return planned(
        [check],
        [
          {
            resource: "jool-instance",
            area: "jool",
            summary: commands.map((command) => command.join(" ")).join("; "),
            drift: { check, detail: display === undefined ? "no instance" : "pool6 differs" },
            effects: ["restart-translator"],
            undo: false,
            run: async (current) => {
              if (display !== undefined) await runAll(host, joolTeardownCommands());
              await runAll(host, commands);
              return { ...current, jool: true };
            },
          },
        ],
      );
    }
    if (!record.jool || display === undefined) return planned([], []);
    return planned(
      [],
      [
        {
          resource: "jool-instance",
          area: "jool",
          summary: joolTeardownCommands()
            .map((command) => command.join(" "))
            .join("; "),
          drift: leftover("jool instance left over"),
          effects: [],
          undo: true,
          run: async (current) => {
            await runAll(host, joolTeardownCommands());
            return { ...current, jool: false };
          },
        },
      ],
    );
  },
};
