// The real Node API (`nat64-relay api`, its own process) on 127.0.0.1, a free port and a temp
// database, plan mode (no Tailscale credentials): what the API benchmarks measure against.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/nat64-relay.js", import.meta.url));

/** Starts the server; resolves with its URL and the bootstrap admin token it printed. */
export async function startApiServer(dir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, "api"], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_PATH: join(dir, "bench.db"),
      ADMIN_TOKEN: "",
      TAILSCALE_API_KEY: "",
      TAILSCALE_OAUTH_CLIENT_ID: "",
      TAILSCALE_OAUTH_CLIENT_SECRET: "",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
  const token = /(n64r_[a-z2-7]{16}_[a-z2-7]{43})/.exec(output)?.[1];
  if (!token) throw new Error(`no bootstrap token in:\n${output}`);
  return { child, url, token };
}
