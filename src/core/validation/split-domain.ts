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

/**
 * Names the DNS does not resolve the usual way, so neither a split domain nor a real suffix
 * may sit at or below them: `localhost` always means this host (RFC 6761 §6.3), `local` is
 * multicast DNS (RFC 6762 §3; stub resolvers and Tailscale clients send it to mDNS, not to
 * split DNS), `invalid` never exists (RFC 6761 §6.4).
 */
const SPECIAL_USE_NAMES: Readonly<Record<string, string>> = {
  localhost: "always resolves to this host itself (RFC 6761 §6.3)",
  local: "is resolved by multicast DNS on the local link, not by DNS servers (RFC 6762 §3)",
  invalid: "is guaranteed never to exist (RFC 6761 §6.4)",
};

function specialUseProblem(name: string): string | undefined {
  const zone = Object.keys(SPECIAL_USE_NAMES).find((special) => isAtOrBelow(name, special));
  if (zone === undefined) return undefined;
  return `"${name}" is under the special-use name "${zone}", which ${SPECIAL_USE_NAMES[zone]}; pick another suffix such as r9929`;
}

/** A dotted-quad IPv4 literal such as 100.64.1.2 (four all-digit labels, each 0 to 255). */
function isIpv4Literal(name: string): boolean {
  const labels = name.split(".");
  return labels.length === 4 && labels.every((label) => /^[0-9]{1,3}$/.test(label) && +label < 256);
}

/**
 * Why `realSuffix` cannot be the suffix of real host names: an IP literal, or an all-digit last
 * label (no top-level domain is all digits, RFC 3696 §2, and URL parsers read such a host as an
 * IPv4 address).
 */
function realSuffixShapeProblem(realSuffix: string): string | undefined {
  if (isIpv4Literal(realSuffix)) {
    return `real suffix "${realSuffix}" is an IPv4 address, not a domain: give the suffix of the real host names, e.g. tail1234.ts.net`;
  }
  const lastLabel = realSuffix.slice(realSuffix.lastIndexOf(".") + 1);
  if (/^[0-9]+$/.test(lastLabel)) {
    return `real suffix "${realSuffix}" ends in the all-digit label "${lastLabel}": no real domain does (RFC 3696 §2); give the suffix of the real host names, e.g. tail1234.ts.net`;
  }
  return undefined;
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

  const nameSpecial = specialUseProblem(name);
  if (nameSpecial) problems.push({ field: "name", message: nameSpecial });
  if (isIpv4Literal(name)) {
    problems.push({
      field: "name",
      message: `split domain "${name}" is an IPv4 address, not a domain: pick a suffix such as r9929`,
    });
  }
  const suffixProblem = specialUseProblem(realSuffix) ?? realSuffixShapeProblem(realSuffix);
  if (suffixProblem) problems.push({ field: "realSuffix", message: suffixProblem });

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
  // An all-digit last label works for ping and ssh, not in browsers (docs/design.md, "Tailscale
  // facts"): a warning, not a refusal.
  if (/^[0-9]+$/.test(lastLabel)) {
    warnings.push({
      code: "numeric_last_label",
      message: `"${name}" ends in the all-digit label "${lastLabel}": ping, ssh and curl work, but browsers and fetch("http://host.${name}/") reject such host names (WHATWG URL); consider "r${lastLabel}" or "via${lastLabel}"`,
    });
  }
  return { normalized, problems, warnings };
}
