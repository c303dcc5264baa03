// What the lab's client does to check the relayed path: ping -6 and a TCP transfer to an
// address in the prefix, and a DNS question to its system resolver (the relay).
import { join } from "node:path";
import { REPO } from "./services.ts";
import { type Lab, TARGET_PORT } from "./topology.ts";

/** `waitSeconds`: how long each reply is waited for (ping's -W; fractions work). */
export async function ping(
  lab: Lab,
  address: string,
  count = 1,
  waitSeconds = "1",
): Promise<boolean> {
  return lab
    .exec("client", "ping", ["-6", "-c", String(count), "-W", waitSeconds, address], {
      timeoutMs: 10_000,
    })
    .then(
      () => true,
      () => false,
    );
}

export async function tcpSend(
  lab: Lab,
  address: string,
  bytes: number,
  timeoutMs = 10_000,
): Promise<{ peer: string; bytes: number } | undefined> {
  try {
    const { stdout } = await lab.exec(
      "client",
      process.execPath,
      [
        join(REPO, "test/e2e/lab/tcp-send.ts"),
        address,
        String(TARGET_PORT),
        String(bytes),
        String(timeoutMs),
      ],
      { timeoutMs: timeoutMs + 5000 },
    );
    return JSON.parse(stdout) as { peer: string; bytes: number };
  } catch {
    return undefined;
  }
}

/** `dig name AAAA` at the client's resolver: the status and the answer addresses. */
export async function digAaaa(
  lab: Lab,
  name: string,
): Promise<{ status: string; addresses: string[] }> {
  const { stdout } = await lab.exec("client", "dig", ["+time=1", "+tries=1", name, "AAAA"]);
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? "none";
  const addresses = stdout
    .split("\n")
    .filter((line) => !line.startsWith(";") && /\tAAAA\t/.test(line))
    .map((line) => line.split(/\s+/).at(-1) ?? "");
  return { status, addresses };
}

/**
 * The whole relay path, as a client sees it: `name` resolves to exactly `answer` (a fresh answer
 * each time, since the guard lets through only what the DNS handed out), then a ping to `target`
 * (an address in the prefix) is answered.
 */
export async function relayPathWorks(
  lab: Lab,
  name: string,
  answer: string,
  target: string,
  waitSeconds = "1",
): Promise<boolean> {
  // +short prints every answer record, a CNAME too: only the one AAAA passes.
  const { stdout } = await lab
    .exec("client", "dig", ["+short", "+time=1", "+tries=1", name, "AAAA"])
    .catch(() => ({ stdout: "" }));
  if (stdout.trim() !== answer) return false;
  return ping(lab, target, 1, waitSeconds);
}
