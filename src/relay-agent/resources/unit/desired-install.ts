// What `agent install` wants on the host: the files it owns with their content, the directories
// they live in, and the unit enabled (and started). `agent uninstall` plans toward the empty
// install, which has none of it.

/** A file install writes (the unit, the relay.yaml it copies or generates, the agent token). */
export interface DesiredFile {
  readonly path: string;
  readonly text: string;
  /** Permission bits to write it with (the token: 0600); absent: the umask's. */
  readonly mode?: number;
  /** What the change says when it writes the file (`installed a.yaml as /etc/…`). */
  readonly written: string;
  /** Why a file install did not write is left as it is (it exists and differs). */
  readonly keptForeign: string;
}

export interface DesiredService {
  /** Enabled: started at boot. */
  readonly enabled: boolean;
  /** Also running now (only on a real root: nothing runs under a test root). */
  readonly started: boolean;
}

export interface DesiredInstall {
  /**
   * Files with the content install wants. A file install wrote earlier that is not listed here
   * stays as it is (a reinstall without --config keeps the config); only the empty install
   * removes install's files.
   */
  readonly files: readonly DesiredFile[];
  /** Directories that must exist, the state directory first (install.json lives there). */
  readonly dirs: readonly string[];
  readonly service: DesiredService;
  /**
   * The empty install only: also remove files the operator edited since install wrote them
   * (`uninstall --purge`); otherwise those are kept, as dpkg keeps edited conffiles.
   */
  readonly purge: boolean;
}

export const emptyInstall = (purge: boolean): DesiredInstall => ({
  files: [],
  dirs: [],
  service: { enabled: false, started: false },
  purge,
});

/** The empty install removes everything install added; any other keeps what it does not list. */
export const isEmptyInstall = (desired: DesiredInstall) =>
  desired.files.length === 0 && desired.dirs.length === 0 && !desired.service.enabled;
