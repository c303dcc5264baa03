// The API's bounds on what one caller can make it store or hold (docs/security.md, "Control
// API"). Values come from the environment (env.ts); these are the defaults.

export interface ApiLimits {
  /** Request bodies above this answer 413 payload_too_large. */
  readonly maxBodyBytes: number;
  /** Nodes one relay may have; one more new node answers 409 conflict. */
  readonly maxNodesPerRelay: number;
  /** Relay nodes silent this long are deleted when their relay hears from a new node. */
  readonly nodePruneSeconds: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 65_536,
  maxNodesPerRelay: 16,
  nodePruneSeconds: 604_800,
};

/** JSON bodies nested deeper than this answer 400 before they are parsed. */
export const MAX_JSON_DEPTH = 32;
