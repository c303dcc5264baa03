// What every service verb receives: who calls, the database, the clock, and where to announce
// a committed change. Transports (HTTP, Slack, CLI) build it; verbs never read env or globals.
import { RelayError } from "../../core/errors.ts";
import type { ApiLimits } from "../limits.ts";
import type { Database } from "../storage/database.ts";
import { recordRefusal, StaleStateError } from "../storage/mutation.ts";

/** Who is calling. Permission checks and audit records read the same union everywhere. */
export type Caller =
  | { readonly type: "token"; readonly tokenId: string; readonly scope: "admin" | "operator" }
  | { readonly type: "agent"; readonly tokenId: string; readonly relayId: string }
  | {
      readonly type: "slack";
      readonly teamId: string;
      readonly userId: string;
      readonly scope: "admin" | "operator";
    }
  | { readonly type: "system" };

/** config: agents' desired state; tailscale: reconcile; applied: a node applied a revision. */
export type ChangeKind = "config" | "tailscale" | "applied";

export interface ServiceContext {
  readonly database: Database;
  readonly caller: Caller;
  readonly now: () => Date;
  /** Called after a commit: wakes long-polling agents, schedules a reconcile. */
  readonly changed: (kinds: readonly ChangeKind[]) => void;
  /** Bounds on what a caller can make us store; absent: DEFAULT_API_LIMITS. */
  readonly limits?: ApiLimits;
}

export function actorOf(caller: Caller): string {
  switch (caller.type) {
    case "token":
      return `token:${caller.tokenId}`;
    case "agent":
      return `agent:${caller.tokenId}`;
    case "slack":
      return `slack:${caller.teamId}/${caller.userId}`;
    case "system":
      return "system";
  }
}

/** Admin may do everything; operator manages relays and split domains; agents only their own. */
export function requireScope(caller: Caller, needed: "admin" | "operator"): void {
  if (caller.type === "system") return;
  if (caller.type === "agent") {
    throw new RelayError(
      "forbidden",
      "agent tokens may only read their relay's config and report status",
    );
  }
  if (caller.scope === "admin" || needed === "operator") return;
  throw new RelayError("forbidden", `this needs an ${needed} token; yours is ${caller.scope}`);
}

export function requireAgentOf(caller: Caller): string {
  if (caller.type !== "agent") {
    throw new RelayError("forbidden", "this endpoint takes an agent token (one relay's token)");
  }
  return caller.relayId;
}

const MAX_ATTEMPTS = 8;

/**
 * Runs read-decide-write `attempt` until its write lands on the state it read. Another writer
 * in between makes the batch fail its guard; the attempt then reads again and decides again
 * (a stale If-Match then answers 412, a new clash 409).
 */
export async function withFreshState<T>(
  ctx: ServiceContext,
  attempt: () => Promise<T>,
): Promise<T> {
  return ctx.database.exclusive(async () => {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof StaleStateError) || tries >= MAX_ATTEMPTS) {
          if (error instanceof StaleStateError) {
            throw new RelayError("conflict", "too many concurrent changes; retry the request");
          }
          throw error;
        }
      }
    }
  });
}

export function isoNow(ctx: ServiceContext): string {
  return ctx.now().toISOString();
}

/** Refusals worth a trace in the audit log (bad input is not: it never reached the rules). */
const REFUSALS = new Set([
  "unauthenticated",
  "forbidden",
  "not_found",
  "conflict",
  "precondition_failed",
]);

function boundedInput(input: unknown): unknown {
  const text = JSON.stringify(input ?? null) ?? "null";
  return text.length <= 2000 ? (JSON.parse(text) as unknown) : { truncated: text.slice(0, 2000) };
}

/**
 * Runs a mutation verb; when the rules refuse it (forbidden, not found, conflict, stale
 * If-Match), records the attempt with that code as its outcome. Successful mutations are
 * audited inside their own transaction (commitMutation).
 */
export async function auditRefusals<T>(
  ctx: ServiceContext,
  verb: string,
  input: unknown,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RelayError && REFUSALS.has(error.code)) {
      await recordRefusal(
        ctx.database,
        { actor: actorOf(ctx.caller), verb, input: boundedInput(input), outcome: error.code },
        isoNow(ctx),
      ).catch(() => undefined);
    }
    throw error;
  }
}
