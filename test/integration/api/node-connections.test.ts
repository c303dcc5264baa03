// The Node server's connection bounds (MAX_CONNECTIONS, IDLE_TIMEOUT_SECONDS): idle connections
// beyond the cap are closed at once, silent ones after the idle timeout, /healthz answers
// afterwards, and a long poll longer than the idle timeout still gets its answer. Loopback only;
// the flood is bounded in count (100 sockets) and time. Idle timeout 3 s, a 5 s long poll.
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readApiEnv } from "../../../src/api/env.ts";
import { type NodeApi, startNodeApi } from "../../../src/api/node.ts";

const FLOOD = 100;
const CAP = 30;
const PER_SOURCE = 10;

function openIdle(
  port: number,
  localAddress = "127.0.0.1",
): Promise<{ socket: Socket; closedAt: () => number | undefined }> {
  return new Promise((resolve) => {
    let closedAt: number | undefined;
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    socket.on("error", () => {});
    socket.on("close", () => {
      closedAt = Date.now();
    });
    socket.once("connect", () => resolve({ socket, closedAt: () => closedAt }));
    socket.once("close", () => resolve({ socket, closedAt: () => closedAt }));
  });
}

/** GET /healthz on a connection of its own that closes after the answer (no keep-alive slot). */
function healthz(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, { agent: false, headers: { connection: "close" } }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    }).on("error", reject);
  });
}

type Idle = Awaited<ReturnType<typeof openIdle>>;
const stillOpen = (sockets: readonly Idle[]) =>
  sockets.filter((s) => s.closedAt() === undefined).length;

/**
 * The server closes what is over a cap when it accepts the connection, which on a loaded
 * machine comes a while after the client's connect: wait (bounded) until the count is down.
 */
async function settleAt(sockets: readonly Idle[], expected: number): Promise<number> {
  const deadline = Date.now() + 2500;
  while (stillOpen(sockets) > expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return stillOpen(sockets);
}

describe("Node API connection bounds", () => {
  let dir: string;
  let api: NodeApi;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nat64-relay-conn-"));
    const env = readApiEnv({
      PORT: "0",
      DATABASE_PATH: join(dir, "api.db"),
      RECONCILE_INTERVAL_SECONDS: "0",
      LOG_LEVEL: "silent",
      MAX_CONNECTIONS: String(CAP),
      MAX_CONNECTIONS_PER_SOURCE: String(PER_SOURCE),
      IDLE_TIMEOUT_SECONDS: "3",
      AGENT_MAX_WAIT_SECONDS: "6",
    });
    api = await startNodeApi(env, { print: () => {} });
    token = api.bootstrapToken ?? "";
  });
  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("binds loopback by default", () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("closes idle connections beyond the caps at once and the rest after the idle timeout; /healthz answers meanwhile from another source", async () => {
    const startedAt = Date.now();
    // Sources 127.0.0.2 and .3 flood; one source cannot hold more than its share, and the cap
    // (30) leaves room for others.
    const sockets = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) => openIdle(api.port, `127.0.0.${2 + (i % 2)}`)),
    );
    expect(await settleAt(sockets, 2 * PER_SOURCE)).toBe(2 * PER_SOURCE);
    // 127.0.0.1 still gets in while the flood's connections are held.
    expect(await healthz(api.url)).toBe(200);
    // Idle timeout 3 s: every silent connection is gone well within 8 s.
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && sockets.some((s) => s.closedAt() === undefined)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sockets.filter((s) => s.closedAt() === undefined)).toEqual([]);
    const lastClosed = Math.max(...sockets.map((s) => s.closedAt() ?? 0));
    expect(lastClosed - startedAt).toBeGreaterThanOrEqual(2900);
    expect(await healthz(api.url)).toBe(200);
  });

  it("closes connections beyond MAX_CONNECTIONS whatever their source", async () => {
    const sockets = await Promise.all(
      Array.from({ length: 50 }, (_, i) => openIdle(api.port, `127.0.1.${1 + (i % 5)}`)),
    );
    try {
      expect(await settleAt(sockets, CAP)).toBe(CAP);
    } finally {
      for (const { socket } of sockets) socket.destroy();
    }
    // The server frees the slots when it sees the FINs: wait for that (bounded) before going on.
    const deadline = Date.now() + 5000;
    let answered = false;
    while (!answered && Date.now() < deadline) {
      answered = await healthz(api.url).then(
        (status) => status === 200,
        () => false,
      );
      if (!answered) await new Promise((r) => setTimeout(r, 50));
    }
    expect(answered).toBe(true);
  });

  it("answers a long poll that waits longer than the idle timeout", async () => {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const created = await fetch(`${api.url}/v1/relays`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: "edge" }),
    });
    expect(created.status).toBe(201);
    const { agentToken } = (await created.json()) as { agentToken: string };
    const first = await fetch(`${api.url}/v1/agent/config`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    const etag = first.headers.get("etag") ?? "";
    await first.arrayBuffer();
    const began = Date.now();
    const waited = await fetch(`${api.url}/v1/agent/config?wait=5`, {
      headers: { authorization: `Bearer ${agentToken}`, "if-none-match": etag },
    });
    expect(waited.status).toBe(304);
    expect(Date.now() - began).toBeGreaterThanOrEqual(4500);
  });
});
