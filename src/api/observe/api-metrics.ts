// The API's own counters for GET /metrics: requests by method, route pattern and status; sync
// runs by outcome and failures by cause. Relay node up/down is read from storage when scraped.
// Counters live in the process (on Workers: in the isolate, so they restart with it).
import { renderPrometheusText } from "../../core/prometheus-text.ts";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface RelayNodeCounts {
  readonly up: number;
  readonly down: number;
}

export class ApiMetrics {
  /** Keyed by method, route pattern and status: bounded by the route table, not by paths. */
  readonly #requests = new Map<
    string,
    { method: string; route: string; status: string; n: number }
  >();
  readonly #syncRuns = { ok: 0, failed: 0 };
  readonly #syncFailures = new Map<string, number>();

  /** `route` is the matched pattern (e.g. /v1/relays/:name); unmatched paths share one label. */
  countRequest(method: string, route: string | undefined, status: number): void {
    const labels = {
      method: METHODS.has(method) ? method : "other",
      route: route ?? "unmatched",
      status: String(status),
    };
    const key = `${labels.method} ${labels.route} ${labels.status}`;
    const entry = this.#requests.get(key);
    if (entry) entry.n += 1;
    else this.#requests.set(key, { ...labels, n: 1 });
  }

  /** One reconciler run; a failed one counts once per distinct cause. */
  countSyncRun(ok: boolean, causes: readonly string[]): void {
    if (ok) {
      this.#syncRuns.ok += 1;
      return;
    }
    this.#syncRuns.failed += 1;
    for (const cause of causes.length ? causes : ["unknown"]) {
      this.#syncFailures.set(cause, (this.#syncFailures.get(cause) ?? 0) + 1);
    }
  }

  render(nodes: RelayNodeCounts): string {
    return renderPrometheusText([
      {
        name: "nat64_relay_api_requests_total",
        type: "counter",
        help: "HTTP requests answered, by method, route pattern and status",
        samples: [...this.#requests.values()].map(({ n, ...labels }) => ({ labels, value: n })),
      },
      {
        name: "nat64_relay_api_sync_runs_total",
        type: "counter",
        help: "Tailscale reconciler runs, by outcome",
        samples: [
          { labels: { outcome: "ok" }, value: this.#syncRuns.ok },
          { labels: { outcome: "failed" }, value: this.#syncRuns.failed },
        ],
      },
      {
        name: "nat64_relay_api_sync_failures_total",
        type: "counter",
        help: "Failed reconciler runs, by cause (ECONNREFUSED, DNS, TLS, timeout, HTTP <status>, ...)",
        samples: [...this.#syncFailures].map(([cause, value]) => ({ labels: { cause }, value })),
      },
      {
        name: "nat64_relay_api_relay_nodes",
        type: "gauge",
        help: "Relay nodes by state: up (reported within 3 report intervals, as in /v1/status) or down",
        samples: [
          { labels: { state: "up" }, value: nodes.up },
          { labels: { state: "down" }, value: nodes.down },
        ],
      },
    ]);
  }
}
