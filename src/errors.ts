/**
 * The error types every module throws, and the fixed exit codes they map to.
 *
 * Library code throws; only `main.ts` prints (one line) and exits. A user error
 * never shows a stack trace; anything that is not an {@link FdrestoreError} is a
 * bug and does.
 */

/**
 * Exit codes of the fdrestore command. Documented in `--help` and the README.
 * `show`, `decode` and `check` exit with the code of their error. `restore`
 * returns the status of the program it waits for, so its own failures use
 * the band of env(1), nice(1) and timeout(1) instead (see {@link restoreExit}).
 */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The restore (or check) failed: a file could not be opened, a task died... */
  FAILURE: 1,
  /** Bad command line: unknown option, missing or unusable value, conflicting options. */
  USAGE: 2,
  /** An image is missing, truncated, corrupt or of an unsupported kind. */
  IMAGE: 3,
  /** An `--inherit-fd` argument is malformed, or its fd is not usable. */
  INHERIT: 4,
  /** A system call failed that no task, fd or file explains (limits, /proc, helper sockets). */
  SYSTEM: 5,
  /** An output (log, pid file, pid map, decode -o, stdout) cannot be made or written. */
  OUTPUT: 6,
  /** restore: fdrestore failed (any of 1–6 above; the message says which). */
  RESTORE_FAILED: 125,
  /** restore: a task's program was found but cannot be run (execve failed, not ENOENT). */
  CANNOT_RUN: 126,
  /** restore: a task's program was not found. */
  NOT_FOUND: 127,
  /** stdout was closed by its reader (`| head`): the output ends quietly, as coreutils' does. */
  CLOSED_STDOUT: 141,
} as const;

export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** Base of every error that is the user's or the environment's, not a bug. */
export class FdrestoreError extends Error {
  /** The process exit code this error ends the command with. */
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/**
 * The exit code of `restore` for one of its own errors: 126 and 127 as they
 * are, every other code 125, so that 0–124 and 128 + signal are the program's.
 */
export function restoreExit(code: number): number {
  return code === EXIT.CANNOT_RUN || code === EXIT.NOT_FOUND ? code : EXIT.RESTORE_FAILED;
}

/** The command line is wrong. */
export class UsageError extends FdrestoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, EXIT.USAGE, options);
  }
}

/** An output (log, pid file, pid map, decode -o, stdout) cannot be made or written. */
export class OutputError extends FdrestoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, EXIT.OUTPUT, options);
  }
}

/** `--pid N` names no task of the images: one error for show, check and restore. */
export function noSuchTask(pid: number, imagesDir: string): UsageError {
  return new UsageError(`no task ${pid} in ${imagesDir}/pstree.img`);
}
