// `nat64-relay agent apply [--dry-run]`: bring the host to the desired data plane once, or
// print the plan without touching anything.
import type { DataPlaneHost } from "../resources/data-plane-host.ts";
import { type DesiredDataPlane, desiredDataPlane } from "../resources/desired-state.ts";
import { appliedOutcome, applyPlan, type Plan, planDataPlane } from "../resources/plan.ts";
import { readRecord, writeRecord } from "../resources/record.ts";
import { translatorFor } from "../resources/translators/index.ts";
import type { CommonOptions } from "./options.ts";
import { loadResolvedConfig } from "./options.ts";
import { readGeneratedPrefix } from "./prefix-state.ts";

const indent = (text: string, by = "    ") =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => `${by}${line}`)
    .join("\n");

/** The desired state, section by section, as `--dry-run` prints it. */
export function describeDesired(desired: DesiredDataPlane): string {
  const lines = [`engine: ${desired.engine}   prefix: ${desired.prefix}   pool: ${desired.pool}`];
  if (!translatorFor(desired.engine)) {
    lines.push(`  engine ${desired.engine}: DNS only; no tun, routes, nftables or sysctls`);
    return lines.join("\n");
  }
  if (desired.nft) lines.push("  nftables ruleset:", indent(desired.nft.body));
  lines.push(
    "  routes:",
    ...(desired.routes.length
      ? desired.routes.map((r) => `    ${r.destination} dev ${r.device}`)
      : ["    (none)"]),
  );
  if (desired.tayga) lines.push(`  ${desired.tayga.confPath}:`, indent(desired.tayga.conf));
  if (desired.jool) {
    lines.push("  jool:", ...desired.jool.commands.map((c) => `    ${c.join(" ")}`));
  }
  lines.push("  sysctls:", ...Object.entries(desired.sysctls).map(([k, v]) => `    ${k} = ${v}`));
  if (desired.sysctlFile) lines.push(`    persisted in ${desired.sysctlFile.path}`);
  lines.push(
    `  tailscale: ${desired.advertiseRoute ? `advertise ${desired.advertiseRoute} (merged with the routes already advertised)` : "no route advertised"}`,
  );
  return lines.join("\n");
}

export function describePlan(plan: Plan): string {
  const lines = plan.warnings.map((warning) => `warning: ${warning}`);
  if (plan.changes.length === 0) {
    lines.push("No changes: the host already matches the desired state.");
  } else {
    lines.push(`${plan.changes.length} change(s):`);
    lines.push(...plan.changes.map((change) => `  [${change.area}] ${change.summary}`));
  }
  return lines.join("\n");
}

export async function applyCommand(
  options: CommonOptions & { dryRun: boolean },
  host: DataPlaneHost,
  out: { log: (line: string) => void; error: (line: string) => void } = console,
): Promise<number> {
  const loaded = await loadResolvedConfig(options, {
    prefix: () => readGeneratedPrefix(options.paths),
  });
  if (!loaded.ok) {
    out.error(loaded.message);
    return 1;
  }
  const desired = desiredDataPlane(loaded.config, options.paths);
  const record = await readRecord(options.paths.dataPlaneRecord);
  if (options.dryRun) {
    out.log(`Plan (dry run, nothing is changed)\n${describeDesired(desired)}\n`);
    try {
      out.log(describePlan(await planDataPlane(desired, host, record)));
    } catch (error) {
      out.log(
        `cannot read the host's current state (${(error as Error).message.split("\n")[0]}): run as root to see the exact difference`,
      );
    }
    return 0;
  }
  const plan = await planDataPlane(desired, host, record);
  out.log(describePlan(plan));
  const after = await applyPlan(plan, record, (next) =>
    writeRecord(options.paths.dataPlaneRecord, next),
  );
  const outcome = appliedOutcome(plan, after);
  for (const reason of outcome.declined) out.log(`warning: ${reason}`);
  if (outcome.done.length) out.log("applied.");
  if (desired.tayga) out.log("tayga itself is run and supervised by `nat64-relay agent run`.");
  return 0;
}
