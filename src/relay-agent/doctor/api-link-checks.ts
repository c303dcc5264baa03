// `agent doctor` in managed mode: the link to the control API. Is it reachable, does it take
// this relay's token, and does the node run the revision the API holds (docs/managed.md)?
import { readLastKnownGood } from "../config-source/last-known-good.ts";
import { type AgentApi, ApiUnavailableError } from "../managed/api-link.ts";
import { type CheckResult, fail, pass, warn } from "./check.ts";

const JOURNAL = "journalctl -u nat64-relay-agent";

export async function apiLinkChecks(api: AgentApi, stateDir: string): Promise<CheckResult[]> {
  let revision: number;
  try {
    const answer = await api.fetchConfig({ knownRevision: undefined, waitSeconds: 0 });
    if (answer.kind === "denied") {
      return [
        fail(
          "api-link",
          "control API",
          `${api.url} refused the agent token (HTTP ${answer.status}, ${answer.message})`,
          "the token was revoked, belongs to a deleted relay, or is not an agent token",
          "create a new agent token for this relay (POST /v1/tokens) or the relay again, put it in the token file, restart the agent",
        ),
      ];
    }
    if (answer.kind !== "config") throw new ApiUnavailableError("no config in the answer");
    revision = answer.revision;
  } catch (error) {
    return [
      fail(
        "api-link",
        "control API",
        `${api.url} is not reachable: ${error instanceof Error ? error.message : String(error)}`,
        "the API is down, --api / api: names the wrong address, or a firewall is in the way",
        `curl ${api.url}/healthz from this node; the agent keeps serving its last-known-good config meanwhile`,
      ),
    ];
  }
  const checks = [pass("api-link", "control API", `${api.url} reachable, token valid`)];
  const saved = await readLastKnownGood(stateDir, api.url);
  if (saved.kind !== "found") {
    checks.push(
      fail(
        "api-revision",
        "applied revision",
        `the API holds revision ${revision}; this node has applied none (${saved.kind === "absent" ? "no saved config" : saved.reason})`,
        "the agent is not running in managed mode, or could not apply any config",
        `systemctl status nat64-relay-agent; ${JOURNAL} says why`,
      ),
    );
  } else if (saved.copy.revision === revision) {
    checks.push(pass("api-revision", "applied revision", `revision ${revision} applied`));
  } else {
    checks.push(
      warn(
        "api-revision",
        "applied revision",
        `the API holds revision ${revision}; this node last applied ${saved.copy.revision}`,
        `the agent refused it or has not seen it yet: ${JOURNAL} ("refused config revision …") and GET /v1/status (lastApply) say why`,
      ),
    );
  }
  return checks;
}
