// Decides whether the e2e suites can run here. They need root (network namespaces, nft, tun)
// and Debian's tools. Locally they skip with the reason; with NAT64_RELAY_E2E=required (CI)
// a missing prerequisite fails the run instead of skipping.
import { execFileSync } from "node:child_process";

const TOOLS = [
  "ip",
  "nft",
  "tayga",
  "dig",
  "nsd",
  "unbound",
  "iperf3",
  "ping",
  "curl",
  "clang",
  "bpftool",
];

function hasTool(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return "e2e suites need root (network namespaces, nftables, tun)";
  const missing = TOOLS.filter((tool) => !hasTool(tool));
  if (missing.length) return `e2e suites need ${missing.join(", ")} (apt-get install; see .ci/run)`;
  return undefined;
}

/** True when the lab can run; throws when it cannot but CI requires it. */
export function labAvailable(): boolean {
  const reason = labUnavailableReason();
  if (!reason) return true;
  if (process.env.NAT64_RELAY_E2E === "required") {
    throw new Error(`NAT64_RELAY_E2E=required but ${reason}`);
  }
  console.warn(`skipping e2e: ${reason}`);
  return false;
}
