import { describe, expect, it } from "vitest";
import {
  constantTimeEqual,
  hashSecret,
  newTokenId,
  newTokenSecret,
  tokenIdOf,
} from "../../../src/api/services/token-secret.ts";

describe("token secrets", () => {
  it("embeds the token id so the row is found without the secret", () => {
    const id = newTokenId();
    const secret = newTokenSecret(id);
    expect(tokenIdOf(secret)).toBe(id);
    expect(tokenIdOf(`${secret}x`)).toBeUndefined();
    expect(tokenIdOf("Bearer nonsense")).toBeUndefined();
  });

  it("hashes to 64 hex characters, the same for the same secret", async () => {
    const secret = newTokenSecret(newTokenId());
    const hash = await hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashSecret(secret)).toBe(hash);
    expect(await hashSecret(`${secret}!`)).not.toBe(hash);
  });

  it("compares equal strings as equal and any difference, length included, as different", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});
