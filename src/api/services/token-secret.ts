// Token secrets: `n64r_<id>_<secret>`. The id finds the row; the SHA-256 of the whole string is
// compared in constant time.
import { createHash } from "node:crypto";

const PREFIX = "n64r";
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

function randomText(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let text = "";
  for (const byte of bytes) text += ALPHABET[byte & 31];
  return text;
}

export function newTokenId(): string {
  return randomText(16);
}

export function newTokenSecret(id: string): string {
  return `${PREFIX}_${id}_${randomText(43)}`;
}

export function tokenIdOf(secret: string): string | undefined {
  const match = /^n64r_([a-z2-7]{16})_[a-z2-7]{43}$/.exec(secret);
  return match?.[1];
}

/** Hex SHA-256. node:crypto: built into Node, and on Workers with the nodejs_compat flag. */
export async function hashSecret(secret: string): Promise<string> {
  return createHash("sha256").update(secret).digest("hex");
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return difference === 0;
}
