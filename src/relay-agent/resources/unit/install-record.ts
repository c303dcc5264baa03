// What `agent install` put on the host (install.json in the state directory), so uninstall
// removes exactly that. Like dpkg's conffiles, it keeps a hash of each file as install wrote it:
// a file whose content no longer has that hash was edited by the operator and is theirs.
import { createHash } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { z } from "zod";
import { AgentError } from "../../errors.ts";

export const InstallRecord = z.object({
  /** Files install created (never files that were there before). */
  files: z.array(z.string()),
  /** SHA-256 (hex) of each file's content as install wrote it; absent in records before hashes. */
  hashes: z.record(z.string(), z.string()).optional(),
  /** Directories install created, outermost first. */
  dirs: z.array(z.string()),
  /** Install enabled the unit (it was not enabled before): uninstall disables it. */
  unitEnabled: z.boolean(),
});
export type InstallRecord = Readonly<z.infer<typeof InstallRecord>>;

/** No install here: no install.json. The record an install starts from. */
export const NO_INSTALL_YET: InstallRecord = {
  files: [],
  hashes: {},
  dirs: [],
  unitEnabled: false,
};

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The hash install recorded for a file it wrote ("" when an older record has none). */
export const recordedHash = (record: InstallRecord, path: string) => record.hashes?.[path] ?? "";

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** undefined: no `agent install` ran here (or its record was removed by uninstall). */
export async function readInstallRecord(path: string): Promise<InstallRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = InstallRecord.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new AgentError(
      "host_failed",
      `${path} is not an install record (${parsed.error.issues[0]?.message ?? "invalid"}): move it away, then run \`nat64-relay agent install\` again`,
    );
  }
  return parsed.data;
}

/**
 * Written to a temporary file and renamed, so a crash never leaves half a record; undefined
 * removes it (nothing of install's is left to remember).
 */
export async function saveInstallRecord(
  path: string,
  record: InstallRecord | undefined,
): Promise<void> {
  if (record === undefined) {
    await rm(path, { force: true });
    return;
  }
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, path);
}
