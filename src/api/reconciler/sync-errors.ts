// The failures of one reconciler run: a message per failed step (for the report and status) and
// the distinct causes behind them (for the log line and the failure counter).
import { isRelayError } from "../../core/errors.ts";
import { TailscaleHttpError } from "../tailscale/http-client.ts";

/** "ECONNREFUSED", "DNS", "TLS", "timeout", "HTTP 403", … or "internal" for a bug of ours. */
export function syncFailureCause(error: unknown): string {
  if (error instanceof TailscaleHttpError) return error.reason;
  return isRelayError(error) ? error.code : "internal";
}

export const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

export class SyncErrors {
  readonly messages: string[] = [];
  readonly #causes = new Set<string>();

  /** Records that `step` failed with `error`; answers the error's message. */
  add(step: string, error: unknown): string {
    const message = messageOf(error);
    this.messages.push(`${step}: ${message}`);
    this.#causes.add(syncFailureCause(error));
    return message;
  }

  get causes(): string[] {
    return [...this.#causes].sort();
  }
}
