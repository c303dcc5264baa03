// The control plane in one of the lab's namespaces (the upstream one, or the control namespace
// of `Lab.create({ control: true })`): the Tailscale API fake (its own process, so it outlives
// API restarts as the real tailnet does), optionally the Slack Web API fake, and the real
// `nat64-relay api` on Node with SQLite, reachable from the relay namespaces over their links.
// Tests talk to all of them with curl inside the namespace (traffic never leaves the lab).
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO, stopProcess, waitFor } from "./services.ts";
import type { Lab, Role } from "./topology.ts";

export const ADMIN_TOKEN = "lab-admin-token-0123456789abcdef";
export const API_PORT = 8787;
export const FAKE_TS_PORT = 8788;
export const FAKE_SLACK_PORT = 8789;

/** What the Slack fake recorded (test/fakes/slack-api.ts). */
export interface SlackFakeState {
  readonly calls: { method: string; params: Record<string, unknown> }[];
  readonly messages: {
    channel: string;
    ts: string;
    text: string;
    blocks: Record<string, unknown>[];
    history: { text: string; blocks: Record<string, unknown>[] }[];
  }[];
  readonly responses: {
    id: string;
    body: { response_type?: string; text?: string; blocks?: Record<string, unknown>[] };
  }[];
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export interface LabDevice {
  readonly nodeId: string;
  readonly hostname: string;
  readonly addresses: string[];
  readonly advertisedRoutes: string[];
}

export interface FakeState {
  readonly devices: (LabDevice & { enabledRoutes: string[] })[];
  readonly splitDns: Record<string, string[]>;
}

function collect(child: ChildProcess): () => string {
  let text = "";
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-40_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => text;
}

export class ControlPlane {
  readonly lab: Lab;
  /** Where the API listens inside the upstream namespace (all addresses). */
  readonly apiHost: string;
  readonly databasePath: string;
  /** The namespace the control plane runs in. */
  readonly role: Role;
  #fake: ChildProcess | undefined;
  #slack: ChildProcess | undefined;
  #api: ChildProcess | undefined;
  #apiLog: () => string = () => "";

  constructor(lab: Lab, apiHost: string, role: Role = "upstream") {
    this.lab = lab;
    this.apiHost = apiHost;
    this.role = role;
    this.databasePath = join(lab.dir, "api", "api.db");
  }

  get apiUrl(): string {
    return `http://${this.apiHost}:${API_PORT}`;
  }

  apiLog(): string {
    return this.#apiLog();
  }

  async startFakeTailscale(devices: readonly LabDevice[]): Promise<void> {
    const child = this.lab.spawn(this.role, process.execPath, [
      join(REPO, "test/e2e/lab/fake-tailscale-api-process.ts"),
      "127.0.0.1",
      String(FAKE_TS_PORT),
      JSON.stringify(devices),
    ]);
    const log = collect(child);
    this.#fake = child;
    await waitFor(`the Tailscale API fake (${log()})`, async () => log().includes("listening"));
  }

  /** The Slack Web API fake on 127.0.0.1:FAKE_SLACK_PORT; point SLACK_API_URL at slackApiUrl. */
  async startFakeSlack(botToken: string): Promise<void> {
    const child = this.lab.spawn(this.role, process.execPath, [
      join(REPO, "test/e2e/lab/fake-slack-api-process.ts"),
      "127.0.0.1",
      String(FAKE_SLACK_PORT),
      botToken,
    ]);
    const log = collect(child);
    this.#slack = child;
    await waitFor(`the Slack API fake (${log()})`, async () => log().includes("listening"));
  }

  get slackApiUrl(): string {
    return `http://127.0.0.1:${FAKE_SLACK_PORT}/api/`;
  }

  /** The response_url Slack would send with request `id` (answered by the Slack fake). */
  responseUrl(id: string): string {
    return `http://127.0.0.1:${FAKE_SLACK_PORT}/response/${id}`;
  }

  async slackState(): Promise<SlackFakeState> {
    const { stdout } = await this.lab.exec(this.role, "curl", [
      "-sS",
      "--max-time",
      "5",
      `http://127.0.0.1:${FAKE_SLACK_PORT}/__fake/state`,
    ]);
    return JSON.parse(stdout) as SlackFakeState;
  }

  /** `nat64-relay api` (the real CLI entry) in the control plane's namespace. */
  async startApi(env: Record<string, string> = {}): Promise<void> {
    const child = this.lab.spawn(
      this.role,
      process.execPath,
      [join(REPO, "bin/nat64-relay.js"), "api"],
      {
        env: {
          HOST: "0.0.0.0",
          PORT: String(API_PORT),
          DATABASE_PATH: this.databasePath,
          ADMIN_TOKEN,
          TAILSCALE_API_KEY: "tskey-api-lab",
          TAILSCALE_API_BASE_URL: `http://127.0.0.1:${FAKE_TS_PORT}`,
          AGENT_REPORT_INTERVAL_SECONDS: "1",
          RECONCILE_INTERVAL_SECONDS: "0",
          LOG_LEVEL: "info",
          ...env,
        },
      },
    );
    this.#api = child;
    this.#apiLog = collect(child);
    await waitFor(
      `the API to listen (${this.#apiLog()})`,
      async () => (await this.call("GET", "/healthz")).status === 200,
      20_000,
      200,
    );
  }

  async stopApi(): Promise<void> {
    if (this.#api) await stopProcess(this.#api);
    this.#api = undefined;
  }

  async stopAll(): Promise<void> {
    await this.stopApi();
    if (this.#fake) await stopProcess(this.#fake);
    if (this.#slack) await stopProcess(this.#slack);
  }

  /** One API request with curl inside the control plane's namespace; never throws on HTTP errors. */
  call(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<HttpAnswer> {
    return this.#curl(path, [
      "-X",
      method,
      "-H",
      `authorization: Bearer ${token}`,
      ...(body === undefined
        ? []
        : ["-H", "content-type: application/json", "--data-binary", JSON.stringify(body)]),
    ]);
  }

  /** POST /slack/events with a raw body and the given headers, as Slack sends it. */
  postSlackEvent(body: string, headers: Record<string, string>): Promise<HttpAnswer> {
    return this.#curl("/slack/events", [
      "-X",
      "POST",
      ...Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
      "--data-binary",
      body,
    ]);
  }

  async #curl(path: string, args: readonly string[]): Promise<HttpAnswer> {
    const all = [
      "-sS",
      "--max-time",
      "10",
      "-w",
      "\n%{http_code}",
      ...args,
      `http://127.0.0.1:${API_PORT}${path}`,
    ];
    try {
      const { stdout } = await this.lab.exec(this.role, "curl", all, { timeoutMs: 15_000 });
      const cut = stdout.lastIndexOf("\n");
      const text = stdout.slice(0, cut);
      const status = Number(stdout.slice(cut + 1));
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return { status, body: parsed };
    } catch {
      return { status: 0, body: undefined };
    }
  }

  async fakeState(): Promise<FakeState> {
    const { stdout } = await this.lab.exec(this.role, "curl", [
      "-sS",
      "--max-time",
      "5",
      `http://127.0.0.1:${FAKE_TS_PORT}/__fake/state`,
    ]);
    return JSON.parse(stdout) as FakeState;
  }
}
