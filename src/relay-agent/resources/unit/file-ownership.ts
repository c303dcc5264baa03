// Who a file on disk belongs to, as dpkg decides for a conffile: nobody yet, install (its content
// still has the hash install recorded), or the operator (one install did not write, or one it
// wrote and the operator edited since). Pure.
import { type InstallRecord, recordedHash, sha256 } from "./install-record.ts";

export type Ownership = "absent" | "ours" | "edited" | "foreign";

export function ownership(
  record: InstallRecord | undefined,
  path: string,
  text: string | undefined,
): Ownership {
  if (text === undefined) return "absent";
  if (!record?.files.includes(path)) return "foreign";
  // An older record without hashes cannot tell: the file may have been edited, so it is kept.
  return recordedHash(record, path) === sha256(text) ? "ours" : "edited";
}

/** A file uninstall left in place, and why. */
export interface KeptFile {
  readonly path: string;
  readonly reason: string;
  /** For a file install wrote: its hash as written, for the record a later `--purge` reads. */
  readonly hash?: string;
}

export function keptEdited(record: InstallRecord, path: string): KeptFile {
  const hash = recordedHash(record, path);
  return {
    path,
    hash,
    reason: hash
      ? "edited since install wrote it"
      : "written by an older install that recorded no hash, so it may have been edited",
  };
}
