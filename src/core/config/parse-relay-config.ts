// Turns the text of a YAML or JSON config file into a RelayConfig or a list of problems.
import { parseDocument } from "yaml";
import type { z } from "zod";
import type { Problem } from "../errors.ts";
import { checkSplitDomain, type SplitDomainWarning } from "../validation/split-domain.ts";
import { RelayConfig } from "./relay-config.ts";

export type RelayConfigParse =
  | { ok: true; config: RelayConfig; warnings: SplitDomainWarning[] }
  | { ok: false; problems: Problem[] };

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** YAML is a superset of JSON, so one parser reads both file kinds. */
export function parseRelayConfigText(text: string): RelayConfigParse {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length) {
    return {
      ok: false,
      problems: document.errors.map((error) => ({ path: "", message: error.message })),
    };
  }
  return parseRelayConfigValue(document.toJS() ?? {});
}

export function parseRelayConfigValue(value: unknown): RelayConfigParse {
  const result = RelayConfig.safeParse(value);
  if (!result.success) return { ok: false, problems: zodProblems(result.error) };
  const warnings = result.data.splitDomains.flatMap((domain) => checkSplitDomain(domain).warnings);
  return { ok: true, config: result.data, warnings };
}
