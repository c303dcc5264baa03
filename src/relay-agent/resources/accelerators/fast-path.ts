// The tc-BPF fast path on tayga's tun (docs/fast-path.md): its slice of the desired state, its
// host resource, and the mirror of tayga's client assignments that runs between applies. Its
// parts live in fast-path/.
import type { Accelerator } from "./accelerator.ts";
import { FastPathController } from "./fast-path/controller.ts";
import { desiredFastPath, FAST_PATH } from "./fast-path/desired.ts";
import type { FastPathDesired } from "./fast-path/fast-path-state.ts";
import { bpfToolsOf, fastPathResource, type ObservedFastPath } from "./fast-path/resource.ts";

export const fastPathAccelerator: Accelerator<FastPathDesired, ObservedFastPath> = {
  name: FAST_PATH,
  desired: desiredFastPath,
  resource: fastPathResource,
  start: ({ host, log, exclusive }) =>
    new FastPathController({ tools: bpfToolsOf(host), exclusive, ...(log ? { log } : {}) }),
};
