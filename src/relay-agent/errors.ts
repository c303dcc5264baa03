// The agent's one closed set of error codes, mapped once to exit codes here (the API maps its
// own set to HTTP statuses in src/api). Messages say what was wrong and how to fix it.
import { formatProblems, type Problem } from "../core/errors.ts";

export const AGENT_ERROR_CODES = [
  "usage", // unknown subcommand or flag, missing or malformed option value
  "invalid_env", // an NAT64_RELAY_* environment variable has a bad value
  "invalid_config", // the config file is unreadable or fails validation (key paths given)
  "node_defaults", // a default that depends on the node cannot be found (listen, prefix)
  "host_failed", // a host tool (nft, ip, tayga, sysctl, tailscale) failed while applying
  "listen_failed", // a DNS socket could not be bound
  "internal", // a bug: logged with its stack, shown as one line
] as const;

export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/** 0 ok; 1 failed or refused; 2 usage (the command line itself was wrong). */
export const EXIT_CODES: Readonly<Record<AgentErrorCode, 1 | 2>> = {
  usage: 2,
  invalid_env: 2, // an environment variable is part of the command line's options
  invalid_config: 1,
  node_defaults: 1,
  host_failed: 1,
  listen_failed: 1,
  internal: 1,
};

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly problems: readonly Problem[];

  constructor(code: AgentErrorCode, message: string, problems: readonly Problem[] = []) {
    super(message);
    this.name = "AgentError";
    this.code = code;
    this.problems = problems;
  }
}

/** Any thrown value as an AgentError: ours as they are, socket errors by errno, else internal. */
export function asAgentError(error: unknown): AgentError {
  if (error instanceof AgentError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const syscall = (error as NodeJS.ErrnoException | undefined)?.syscall;
  const message = error instanceof Error ? error.message : String(error);
  // EACCES from a file (mkdir, open) is not about the port: only bind/listen errors are.
  const socketCall = syscall === undefined || syscall === "bind" || syscall === "listen";
  if (socketCall && (errno === "EADDRINUSE" || errno === "EADDRNOTAVAIL" || errno === "EACCES")) {
    return new AgentError(
      "listen_failed",
      `${message}: another server holds the port, or the address is not on this host; change listen`,
    );
  }
  if (errno === "EACCES" || errno === "EPERM" || errno === "EROFS") {
    return new AgentError(
      "host_failed",
      `${message}: this user may not write there; run as root, or point --state-dir (or --root) at a directory you can write`,
    );
  }
  return new AgentError("internal", message.split("\n")[0] ?? message);
}

/** The text a CLI prints for an error: first line the reason, then one line per key path. */
export function describeError(error: AgentError): string {
  return error.problems.length
    ? `${error.message}:\n${formatProblems(error.problems)}`
    : error.message;
}
