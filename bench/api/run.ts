// npm run bench:api — autocannon against the real Node server (`nat64-relay api`, its own
// process, loopback only, temp database): GET /v1/agent/config with If-None-Match (the 304
// path long-polling agents hit), without it (200 + body), and POST /v1/split-domains.
// Prints requests/s, p99 latency, and the server's CPU time per request (user + system, from
// /proc: a figure that other load on the machine disturbs less than requests/s). Each run is
// bounded by BENCH_SECONDS (default 10).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { startApiServer } from "../lib/api-server.ts";
import { cpuSeconds } from "../lib/proc-cpu.ts";

const SECONDS = Math.min(60, Math.max(1, Number(process.env.BENCH_SECONDS ?? 10)));
const CONNECTIONS = Math.min(500, Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 50)));

/** Runs one autocannon scenario and adds the server's CPU time per request to the result. */
async function measure(pid: number | undefined, options: Parameters<typeof autocannon>[0]) {
  const before = cpuSeconds(pid);
  const result = await autocannon(options);
  const cpu = cpuSeconds(pid) - before;
  const total = Object.values(result.statusCodeStats).reduce((sum, { count }) => sum + count, 0);
  return { result, cpuMicrosPerRequest: total ? (cpu * 1e6) / total : Number.NaN };
}

function line(
  name: string,
  { result, cpuMicrosPerRequest }: Awaited<ReturnType<typeof measure>>,
): string {
  const codes = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}×${count}`)
    .join(" ");
  const cpu = Number.isNaN(cpuMicrosPerRequest) ? "n/a" : cpuMicrosPerRequest.toFixed(0);
  return `${name.padEnd(44)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p99 ${String(result.latency.p99).padStart(4)} ms   server CPU ${cpu.padStart(4)} µs/req   (${codes}; errors ${result.errors}, timeouts ${result.timeouts})`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nat64-relay-bench-"));
  const server = await startApiServer(dir);
  try {
    const admin = { authorization: `Bearer ${server.token}`, "content-type": "application/json" };
    const relay = await fetch(`${server.url}/v1/relays`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "bench", prefix: "fd4e:2a91:7c3d:6464::/96" }),
    });
    const { agentToken } = (await relay.json()) as { agentToken: string };
    await fetch(`${server.url}/v1/split-domains`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "r9929", realSuffix: "tail1234.ts.net", relay: "bench" }),
    });
    const agent = { authorization: `Bearer ${agentToken}` };
    const etag =
      (await fetch(`${server.url}/v1/agent/config`, { headers: agent })).headers.get("etag") ?? "";

    console.log(
      `nat64-relay API bench: Node ${process.version}, ${CONNECTIONS} connections, ${SECONDS} s per run, loopback ${server.url}`,
    );
    // Unmeasured warm-up, so the first figure is not the JIT compiling the request path.
    await autocannon({
      url: `${server.url}/v1/agent/config`,
      connections: CONNECTIONS,
      duration: 2,
      headers: { ...agent, "if-none-match": etag },
    });
    const notModified = await measure(server.child.pid, {
      url: `${server.url}/v1/agent/config`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { ...agent, "if-none-match": etag },
    });
    console.log(line("GET /v1/agent/config If-None-Match (304)", notModified));
    const full = await measure(server.child.pid, {
      url: `${server.url}/v1/agent/config`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: agent,
    });
    console.log(line("GET /v1/agent/config (200)", full));
    let counter = 0;
    const writes = await measure(server.child.pid, {
      url: server.url,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          method: "POST",
          path: "/v1/split-domains",
          headers: admin,
          setupRequest: (request) => {
            counter += 1;
            return {
              ...request,
              body: JSON.stringify({
                name: `s${counter}x`,
                realSuffix: `real${counter}.example`,
                relay: "bench",
              }),
            };
          },
        },
      ],
    });
    console.log(line("POST /v1/split-domains (201)", writes));
  } finally {
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
