// The accelerators the agent knows. See README.md in this folder for how one plugs in (one file
// here, one line in this list, nothing else changes).
import type { ResolvedRelayConfig } from "../../../core/config/resolved-relay-config.ts";
import type { DesiredDataPlane } from "../desired-state.ts";
import type { HostResource } from "../resource.ts";
import type { Accelerator } from "./accelerator.ts";
import { fastPathAccelerator } from "./fast-path.ts";

export const ACCELERATORS: readonly Accelerator[] = [fastPathAccelerator as Accelerator];

/** Each enabled accelerator's desired slice by name; undefined when none is enabled. */
export function desiredAccelerations(
  config: ResolvedRelayConfig,
  dataPlane: DesiredDataPlane,
  accelerators: readonly Accelerator[] = ACCELERATORS,
): Readonly<Record<string, unknown>> | undefined {
  const slices = accelerators.flatMap((accelerator) => {
    const slice = accelerator.desired(config, dataPlane);
    return slice === undefined ? [] : [[accelerator.name, slice] as const];
  });
  return slices.length ? Object.fromEntries(slices) : undefined;
}

/** Their resources, planned after the translator's (they attach to what it created). */
export function acceleratorResources(
  accelerators: readonly Accelerator[] = ACCELERATORS,
): HostResource[] {
  return accelerators.map((accelerator) => accelerator.resource as HostResource);
}
