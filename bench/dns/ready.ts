// Waits until a DNS server really answers a name: a decoded NOERROR response with at least one
// answer record. (Reading dig's output is not enough: "connection refused" is output too.)
import { udpQuery } from "../../test/integration/dns/dns-client.ts";

export async function waitForAnswer(
  host: string,
  port: number,
  name: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await udpQuery(host, port, { name, type: "AAAA" }, 500).catch(() => undefined);
    if (answer && (answer.raw[3]! & 0x0f) === 0 && (answer.packet.answers ?? []).length > 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing answered ${name} AAAA on ${host}:${port} within ${timeoutMs} ms`);
}
