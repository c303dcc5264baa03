// What the fast path looks like inside the relay namespace, read with the agent's own tc and
// bpftool runner: the attached program, its map ids, its counters.
import { type Exec, realExec } from "../../../src/relay-agent/host/exec.ts";
import {
  type AttachedProgram,
  RealBpfTools,
} from "../../../src/relay-agent/resources/accelerators/fast-path/bpf-tools.ts";
import {
  type FastPathCounters,
  readCounters,
} from "../../../src/relay-agent/resources/accelerators/fast-path/counters.ts";
import { MAPS } from "../../../src/relay-agent/resources/accelerators/fast-path/program.ts";
import type { Lab } from "./topology.ts";

export const TUN = "nat64relay";

export function relayExec(lab: Lab): Exec {
  return (command, args, options) =>
    realExec("ip", ["netns", "exec", lab.ns.relay, command, ...args], options);
}

export interface FastPathProbe {
  readonly program?: AttachedProgram;
  readonly mapIds: readonly number[];
  readonly clsact: boolean;
  readonly counters?: FastPathCounters;
}

export async function probeFastPath(lab: Lab): Promise<FastPathProbe> {
  const tools = new RealBpfTools(relayExec(lab));
  const clsact = await tools.hasClsact(TUN).catch(() => false);
  const program = clsact ? await tools.attached(TUN) : undefined;
  if (!program) return { mapIds: [], clsact };
  const maps = await tools.maps(program.programId);
  const countersId = maps[MAPS.counters];
  return {
    program,
    clsact,
    mapIds: Object.values(maps),
    ...(countersId === undefined ? {} : { counters: await readCounters(tools, countersId) }),
  };
}

/** Whether the kernel still has a program or map by id (they are machine-wide). */
export async function bpfObjectExists(
  lab: Lab,
  kind: "prog" | "map",
  id: number,
): Promise<boolean> {
  return relayExec(lab)("bpftool", [kind, "show", "id", String(id), "-j"]).then(
    () => true,
    () => false,
  );
}
