// `relays export NAME`: the API's relay and its split domains as a standalone relay.yaml, checked
// against the same schema `agent check-config` uses before it is printed. Pure.
import { stringify } from "yaml";
import type { RelayView } from "../api/services/schemas.ts";
import type { SplitDomainView } from "../api/services/split-domain-view.ts";
import { parseRelayConfigValue } from "../core/config/parse-relay-config.ts";
import { RelaySettings } from "../core/config/relay-config.ts";
import { formatProblems, RelayError } from "../core/errors.ts";

export function standaloneConfig(
  relay: RelayView,
  domains: readonly SplitDomainView[],
  source: string,
): string {
  const settings = Object.fromEntries(
    Object.keys(RelaySettings.shape)
      .filter((key) => relay[key as keyof RelayView] !== undefined)
      .map((key) => [key, relay[key as keyof RelayView]]),
  );
  const config = {
    ...settings,
    splitDomains: domains
      .filter((domain) => domain.relay === relay.name)
      .map((domain) => ({ name: domain.name, realSuffix: domain.realSuffix })),
  };
  const checked = parseRelayConfigValue(config);
  if (!checked.ok) {
    throw new RelayError(
      "internal",
      `relay "${relay.name}" does not make a valid standalone config:\n${formatProblems(checked.problems)}`,
    );
  }
  return `# nat64-relay standalone config of relay "${relay.name}" (revision ${relay.configRevision}), exported from ${source}\n${stringify(config)}`;
}
