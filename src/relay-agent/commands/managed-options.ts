// `agent run` in managed mode, at the edge: which API, which token, which local keys. Decides
// from --api or an `api:` key in the --config file; reads and checks everything once, so a bad
// value stops the start with the exact reason.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { formatProblems } from "../../core/index.ts";
import {
  isManagedDocument,
  localKeysOf,
  type ManagedLocalFile,
  parseManagedLocalText,
} from "../managed/local-file.ts";
import { readTokenFile } from "../managed/token-file.ts";

export const TOKEN_FILE_NAME = "agent-token";

export interface ManagedOptions {
  readonly apiUrl: string;
  readonly token: string;
  readonly localKeys: Record<string, unknown>;
  readonly stateDir: string | undefined;
  readonly logLevel: ManagedLocalFile["logLevel"];
  /** Lines to log once the logger exists (a token on the command line, a loose file mode). */
  readonly warnings: readonly string[];
}

export type ManagedDecision =
  | { readonly kind: "standalone" }
  | { readonly kind: "managed"; readonly options: ManagedOptions }
  | { readonly kind: "error"; readonly message: string };

async function readLocalText(path: string, given: boolean): Promise<string | undefined | Error> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !given) return undefined;
    return new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
}

export async function decideManaged(input: {
  readonly configPath: string;
  /** --config was given (a missing file is then an error, not "no local keys"). */
  readonly configGiven: boolean;
  readonly values: Record<string, string | boolean | undefined>;
  readonly etcDir: string;
}): Promise<ManagedDecision> {
  const { values, configPath } = input;
  const flagApi = typeof values.api === "string" ? values.api : undefined;
  const text = await readLocalText(configPath, input.configGiven || flagApi === undefined);
  if (text instanceof Error) {
    // Standalone mode reports its own missing file the way it always did.
    return flagApi === undefined
      ? { kind: "standalone" }
      : { kind: "error", message: text.message };
  }
  if (flagApi === undefined) {
    const document = text === undefined ? undefined : parseDocument(text).toJS();
    if (!isManagedDocument(document)) return { kind: "standalone" };
  }
  const parsed = text === undefined ? { ok: true as const, file: {} } : parseManagedLocalText(text);
  if (!parsed.ok) {
    return {
      kind: "error",
      message: `${configPath} is not a valid managed-mode local file:\n${formatProblems(parsed.problems)}`,
    };
  }
  const file: ManagedLocalFile = parsed.file;
  const apiUrl = flagApi ?? file.api;
  if (!apiUrl || !/^https?:\/\/[^/]/.test(apiUrl)) {
    return {
      kind: "error",
      message: `--api must be the control API's URL (http:// or https://), got "${apiUrl ?? ""}"`,
    };
  }
  const warnings: string[] = [];
  let token: string;
  if (typeof values.token === "string") {
    warnings.push(
      "--token puts the agent token on the command line, where every local user sees it in ps: use --token-file",
    );
    token = values.token.trim();
  } else {
    const tokenFile =
      typeof values["token-file"] === "string"
        ? values["token-file"]
        : (file.tokenFile ?? join(input.etcDir, TOKEN_FILE_NAME));
    const read = await readTokenFile(tokenFile);
    if (!read.ok) return { kind: "error", message: read.reason };
    warnings.push(...read.warnings);
    token = read.token;
  }
  return {
    kind: "managed",
    options: {
      apiUrl: apiUrl.replace(/\/+$/, ""),
      token,
      localKeys: localKeysOf(file),
      stateDir: file.stateDir,
      logLevel: file.logLevel,
      warnings,
    },
  };
}
