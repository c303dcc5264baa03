// The agent token, read from a file (0600, owned by root) rather than the command line, where
// every local user sees it in `ps`.
import { readFile, stat } from "node:fs/promises";

export type TokenRead =
  | { readonly ok: true; readonly token: string; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const TOKEN = /^n64r_[a-z2-7]{16}_[a-z2-7]{43}$/;

export async function readTokenFile(path: string): Promise<TokenRead> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mode)]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: `cannot read the token file ${path}: ${code === "ENOENT" ? "no such file" : code}`,
    };
  }
  const token = text.trim();
  if (!TOKEN.test(token)) {
    return {
      ok: false,
      reason: `${path} does not hold an agent token (n64r_…): put the agentToken that POST /v1/relays printed in it, alone on one line`,
    };
  }
  const warnings =
    (mode & 0o077) !== 0
      ? [
          `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`,
        ]
      : [];
  return { ok: true, token, warnings };
}
