// DNS name rules shared by split domains and real suffixes (RFC 1035 §2.3.1, RFC 1123 §2.1).

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME_LENGTH = 253; // 255 octets on the wire minus the length bytes of the ends

/** Lower case, no trailing dot: the one spelling we store and compare. */
export function normalizeDnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/** Reasons a normalized name is not a valid LDH host name; empty when it is. */
export function dnsNameProblems(name: string): string[] {
  if (name === "") return ["the name is empty"];
  if (name.length > MAX_NAME_LENGTH) {
    return [`the name is ${name.length} characters long; the limit is ${MAX_NAME_LENGTH}`];
  }
  const problems: string[] = [];
  for (const label of name.split(".")) {
    if (label === "") problems.push(`"${name}" has an empty label (two dots in a row?)`);
    else if (label.length > 63) problems.push(`label "${label}" is longer than 63 characters`);
    else if (!LABEL.test(label)) {
      problems.push(
        `label "${label}" may only hold letters, digits and inner hyphens (LDH, RFC 1123 §2.1)`,
      );
    }
  }
  return problems;
}

/** True when `name` equals `zone` or sits below it. Both normalized. */
export function isAtOrBelow(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}
