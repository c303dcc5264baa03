// The data plane `agent run` drives, with its code (resources, tayga, the fast path) loaded in
// the background: at start-up the DNS worker thread loads its own code at the same time, so
// neither waits for the other (docs/design.md, "Start-up").
import type { AgentDataPlane } from "../agent.ts";
import type { AgentDataPlaneOptions } from "./agent-data-plane.ts";

export function deferredDataPlane(options: AgentDataPlaneOptions): AgentDataPlane {
  const loading = import("./agent-data-plane.ts").then((module) =>
    module.createAgentDataPlane(options),
  );
  let loaded: AgentDataPlane | undefined;
  // A failure to load surfaces in the first apply, which refuses the start with it.
  loading.then(
    (dataPlane) => {
      loaded = dataPlane;
    },
    () => {},
  );
  return {
    apply: async (config) => (await loading).apply(config),
    observer: (ipv4s, ttlSeconds) =>
      loaded
        ? loaded.observer(ipv4s, ttlSeconds)
        : loading.then((dataPlane) => dataPlane.observer(ipv4s, ttlSeconds)),
    healthy: async () => (await loading).healthy(),
    metrics: async () => (await loading).metrics(),
    close: async () => (await loading).close(),
  };
}
