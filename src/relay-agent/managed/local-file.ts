// Managed mode's local file: where the API is, where the agent token is, and the keys that
// describe this node rather than the relay (listen, metrics address, state dir, log level). The
// API's config never overrides them (docs/managed.md). Everything else comes from the API, so any
// other key here is an error that says so.
import { parseDocument } from "yaml";
import { z } from "zod";
import { type Problem, RelaySettings, zodProblems } from "../../core/index.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const ManagedLocalFile = z.strictObject({
  api: z
    .url({
      protocol: /^https?$/,
      error: "api: the control API's URL, e.g. https://relay-api.example.com",
    })
    .optional(),
  tokenFile: z.string().min(1).optional().describe("file holding this relay's agent token (0600)"),
  listen: RelaySettings.shape.listen,
  metricsListen: RelaySettings.shape.metricsListen,
  stateDir: z.string().min(1).optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
});
export type ManagedLocalFile = z.infer<typeof ManagedLocalFile>;

const ALLOWED = Object.keys(ManagedLocalFile.shape).join(", ");

export type LocalFileParse =
  | { readonly ok: true; readonly file: ManagedLocalFile }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** True when a config document asks for managed mode (it names an API). */
export function isManagedDocument(document: unknown): boolean {
  return typeof document === "object" && document !== null && "api" in document;
}

export function parseManagedLocalText(text: string): LocalFileParse {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length) {
    return {
      ok: false,
      problems: document.errors.map((error) => ({ path: "", message: error.message })),
    };
  }
  return parseManagedLocalValue(document.toJS() ?? {});
}

export function parseManagedLocalValue(value: unknown): LocalFileParse {
  const parsed = ManagedLocalFile.safeParse(value);
  if (parsed.success) return { ok: true, file: parsed.data };
  return {
    ok: false,
    problems: zodProblems(parsed.error).map((problem) =>
      problem.message.startsWith("Unrecognized key")
        ? {
            path: problem.path,
            message: `${problem.message}: in managed mode the relay's config comes from the API; the local file holds only ${ALLOWED}`,
          }
        : problem,
    ),
  };
}

/** The keys of the local file that go over the API's document. */
export function localKeysOf(file: ManagedLocalFile): Record<string, unknown> {
  return {
    ...(file.listen ? { listen: file.listen } : {}),
    ...(file.metricsListen ? { metricsListen: file.metricsListen } : {}),
  };
}
