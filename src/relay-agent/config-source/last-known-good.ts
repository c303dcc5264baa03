// The last config from the API that this node applied, kept under the state dir so a restart
// with the API down serves what ran before (docs/managed.md). Written atomically; a file that
// does not parse is ignored with a reason, never half-applied.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../state/atomic-write.ts";

export const LAST_KNOWN_GOOD_FILE = "managed-config.json";

export const LastKnownGood = z.object({
  revision: z.number().int().nonnegative(),
  /** The API's config object as it came (local keys are applied on top at every start). */
  config: z.record(z.string(), z.unknown()),
  /** The API it came from: a copy from another API is not used. */
  api: z.string(),
  savedAt: z.string(),
});
export type LastKnownGood = z.infer<typeof LastKnownGood>;

export type LastKnownGoodRead =
  | { readonly kind: "found"; readonly copy: LastKnownGood }
  | { readonly kind: "absent" }
  | { readonly kind: "unusable"; readonly reason: string };

export function lastKnownGoodPath(stateDir: string): string {
  return join(stateDir, LAST_KNOWN_GOOD_FILE);
}

export async function readLastKnownGood(stateDir: string, api: string): Promise<LastKnownGoodRead> {
  const path = lastKnownGoodPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "absent" };
    return { kind: "unusable", reason: `cannot read ${path}: ${(error as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unusable", reason: `${path} is not JSON` };
  }
  const parsed = LastKnownGood.safeParse(value);
  if (!parsed.success) return { kind: "unusable", reason: `${path} is not a saved config` };
  if (parsed.data.api !== api) {
    return {
      kind: "unusable",
      reason: `${path} came from ${parsed.data.api}, not ${api}`,
    };
  }
  return { kind: "found", copy: parsed.data };
}

/** 0600: the config names internal resolvers and addresses; only the agent reads it. */
export async function saveLastKnownGood(stateDir: string, copy: LastKnownGood): Promise<void> {
  await writeFileAtomic(lastKnownGoodPath(stateDir), `${JSON.stringify(copy, null, 2)}\n`, {
    mode: 0o600,
  });
}
