// Rules for a split domain mapping: host.<name> is answered from host.<realSuffix>.
import { parse as parseDomain } from "tldts";
import { dnsNameProblems, isAtOrBelow, normalizeDnsName } from "./dns-name.ts";

export interface SplitDomain {
  readonly name: string;
  readonly realSuffix: string;
}

export interface SplitDomainWarning {
  readonly code: "numeric_last_label";
  readonly message: string;
}

export interface SplitDomainProblem {
  readonly field: "name" | "realSuffix";
  readonly message: string;
}

export interface SplitDomainCheck {
  /** The mapping with both names normalized (lower case, no trailing dot). */
  readonly normalized: SplitDomain;
  readonly problems: SplitDomainProblem[];
  readonly warnings: SplitDomainWarning[];
}

function isPublicSuffix(name: string): boolean {
  const parsed = parseDomain(name, { allowPrivateDomains: true });
  // tldts treats unknown single labels as suffixes by the "*" rule; only listed ones count.
  return parsed.publicSuffix === name && (parsed.isIcann === true || parsed.isPrivate === true);
}

/**
 * Checks one mapping against the rules and against the split domains that already exist
 * (`others`, normalized, excluding the candidate itself).
 */
export function checkSplitDomain(
  candidate: SplitDomain,
  others: readonly SplitDomain[] = [],
): SplitDomainCheck {
  const normalized = {
    name: normalizeDnsName(candidate.name),
    realSuffix: normalizeDnsName(candidate.realSuffix),
  };
  const { name, realSuffix } = normalized;
  const problems: SplitDomainProblem[] = [];
  const warnings: SplitDomainWarning[] = [];
  for (const message of dnsNameProblems(name)) problems.push({ field: "name", message });
  for (const message of dnsNameProblems(realSuffix))
    problems.push({ field: "realSuffix", message });
  if (problems.length) return { normalized, problems, warnings };

  if (name === realSuffix) {
    problems.push({
      field: "name",
      message: `split domain "${name}" equals its real suffix: queries would loop back to the real names; pick a separate suffix such as r9929`,
    });
  } else if (isAtOrBelow(name, realSuffix) || isAtOrBelow(realSuffix, name)) {
    problems.push({
      field: "name",
      message: `split domain "${name}" and real suffix "${realSuffix}" nest inside each other: split DNS would capture the real names too; pick a suffix outside "${realSuffix}" such as r9929`,
    });
  }
  if (isPublicSuffix(name)) {
    problems.push({
      field: "name",
      message: `"${name}" is a public suffix: split DNS would capture every name under it; pick a private suffix such as r9929`,
    });
  }
  for (const other of others) {
    if (other.name === name) {
      problems.push({ field: "name", message: `split domain "${name}" already exists` });
    } else if (isAtOrBelow(name, other.name) || isAtOrBelow(other.name, name)) {
      problems.push({
        field: "name",
        message: `split domain "${name}" overlaps existing split domain "${other.name}": one would shadow the other; pick a suffix outside it`,
      });
    }
    if (isAtOrBelow(name, other.realSuffix) || isAtOrBelow(other.realSuffix, name)) {
      problems.push({
        field: "name",
        message: `split domain "${name}" overlaps real suffix "${other.realSuffix}" of split domain "${other.name}"`,
      });
    }
    if (isAtOrBelow(realSuffix, other.name) || isAtOrBelow(other.name, realSuffix)) {
      problems.push({
        field: "realSuffix",
        message: `real suffix "${realSuffix}" overlaps split domain "${other.name}": lookups of the real names would go through the relay again (a loop); use the real tailnet suffix, e.g. tail1234.ts.net`,
      });
    }
  }
  const lastLabel = name.slice(name.lastIndexOf(".") + 1);
  if (/^[0-9]+$/.test(lastLabel)) {
    warnings.push({
      code: "numeric_last_label",
      message: `"${name}" ends in the all-digit label "${lastLabel}": ping, ssh and curl work, but browsers and fetch("http://host.${name}/") reject such host names (WHATWG URL); consider "r${lastLabel}" or "via${lastLabel}"`,
    });
  }
  return { normalized, problems, warnings };
}
