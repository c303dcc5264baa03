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

/** A relay config is a few KB; a bigger file is a mistake or an attack on the parser. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/**
 * Aliases resolved while building the value: a real config needs none or a handful; "billion
 * laughs" documents (aliases of aliases) expand exponentially (the yaml package's guard).
 */
const MAX_ALIAS_COUNT = 100;

export type RelayConfigDocument = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

/** YAML is a superset of JSON, so one parser reads both file kinds. Never throws. */
export function parseRelayConfigText(text: string): RelayConfigParse {
  const document = parseRelayConfigDocument(text);
  return document.ok ? parseRelayConfigValue(document.value) : document;
}

/**
 * The text as a plain value, not validated yet (a config source hands it to the agent's
 * pipeline), with the parser's size, alias and nesting bounds. Never throws.
 */
export function parseRelayConfigDocument(text: string): RelayConfigDocument {
  const failed = (message: string): RelayConfigDocument => ({
    ok: false,
    problems: [{ path: "", message }],
  });
  if (text.length > MAX_CONFIG_BYTES) {
    return failed(
      `the file is ${text.length} characters long; a relay config is at most ${MAX_CONFIG_BYTES}`,
    );
  }
  if (flowNestingExceeds(text, MAX_FLOW_NESTING)) {
    return failed(
      `the file nests [ ] or { } more than ${MAX_FLOW_NESTING} levels deep; a relay config needs a few`,
    );
  }
  let value: unknown;
  try {
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length) {
      return {
        ok: false,
        // prettyErrors appends the offending lines: keep the first line, one line per problem.
        problems: document.errors.map((error) => ({ path: "", message: firstLine(error) })),
      };
    }
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml package throws ReferenceError on an alias bomb, RangeError on deep nesting.
    const excessive = error instanceof ReferenceError && /alias/i.test(error.message);
    return failed(
      excessive
        ? `the file expands its YAML aliases (*name) too often (more than ${MAX_ALIAS_COUNT}); write the values out instead`
        : `the file cannot be read as YAML: ${firstLine(error)}`,
    );
  }
  return { ok: true, value: value ?? {} };
}

/**
 * The yaml package parses flow collections recursively: 100k nested `[` cost seconds before it
 * runs out of stack. A real config nests a few levels, so count brackets outside quoted
 * scalars and comments first (a linear scan) and refuse deep files before parsing them.
 */
const MAX_FLOW_NESTING = 32;

function flowNestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let quote = "";
  let comment = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (comment) {
      if (char === "\n") comment = false;
    } else if (quote) {
      if (char === "\\" && quote === '"') index++;
      else if (char === quote) quote = "";
    } else if ((char === '"' || char === "'") && startsScalar(text[index - 1])) {
      quote = char;
    } else if (char === "#" && (index === 0 || /\s/.test(text[index - 1] ?? ""))) {
      comment = true;
    } else if (char === "[" || char === "{") {
      if (++depth > limit) return true;
    } else if ((char === "]" || char === "}") && depth > 0) {
      depth--;
    }
  }
  return false;
}

/** A quote opens a quoted scalar only where a scalar may begin (`it's` is a plain scalar). */
function startsScalar(previous: string | undefined): boolean {
  return previous === undefined || /[\s[{,:-]/.test(previous);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? "";
}

export function parseRelayConfigValue(value: unknown): RelayConfigParse {
  const result = RelayConfig.safeParse(value);
  if (!result.success) return { ok: false, problems: zodProblems(result.error) };
  const warnings = result.data.splitDomains.flatMap((domain) => checkSplitDomain(domain).warnings);
  return { ok: true, config: result.data, warnings };
}
