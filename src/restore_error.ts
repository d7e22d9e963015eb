/** The error of a restore step, naming the task, fd and file it concerns. */
import { EXIT, type ExitCode, FdrestoreError } from "./errors.ts";
import { ERRNO } from "./sys/errno.ts";

export interface RestoreErrorInfo {
  pid?: number;
  fd?: number;
  fileId?: number;
}

export class RestoreError extends FdrestoreError {
  readonly pid?: number;
  readonly fd?: number;
  readonly fileId?: number;

  constructor(
    message: string,
    info: RestoreErrorInfo = {},
    options?: ErrorOptions,
    exitCode: ExitCode = EXIT.FAILURE,
  ) {
    super(message, exitCode, options);
    this.pid = info.pid;
    this.fd = info.fd;
    this.fileId = info.fileId;
  }
}

/**
 * A task's program cannot be started. As env(1) does: not found (ENOENT) is
 * 127, any other failure of execve 126; `errno` undefined (not found by a
 * lookup, e.g. in PATH) is 127.
 */
export function programError(
  message: string,
  pid: number,
  errno: number | undefined,
  options?: ErrorOptions,
): RestoreError {
  return new RestoreError(message, { pid }, options, programExit(errno));
}

/** 127 for a program not found (ENOENT, or no errno), 126 for any other failed execve. */
export function programExit(errno: number | undefined): ExitCode {
  return errno === undefined || errno === ERRNO.ENOENT ? EXIT.NOT_FOUND : EXIT.CANNOT_RUN;
}

/** The text of a caught error, for the "because" part of a message. */
export function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A file id as criu prints it (`%#x`). */
export function hex(n: number): string {
  return "0x" + n.toString(16);
}
