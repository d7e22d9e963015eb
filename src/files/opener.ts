/**
 * What every fd type implements: one `open` per file of the dump (CRIU's
 * `file_desc_ops.open`), called by the scheduler on the file's master.
 *
 * An opener returns a descriptor of a new open file description equivalent
 * to the dumped one (flags, offset, owner, contents), or {@link AGAIN} when it
 * needs another file to be open first (an epoll's targets, a socket's peer).
 * The scheduler owns every descriptor an opener returns or provides: it stages
 * them above every target number and closes them when the restore ends.
 */
import type { Logger } from "../log.ts";
import type { InheritFdTable } from "../inherit/mod.ts";
import type { Checkpoint, FdEntry, FileDesc, FileOf, FileType, Task } from "../model/mod.ts";

/** "Not yet": the scheduler calls `open` again on a later pass. */
export const AGAIN: unique symbol = Symbol("again");
/** "Opened by the started task itself" (see {@link OpenContext.openInTask}). */
export const IN_TASK: unique symbol = Symbol("in task");
export type OpenResult = number | typeof AGAIN | typeof IN_TASK;

/**
 * State an fd type keeps for the length of one restore (CRIU's collect step):
 * pipe groups, ghosts made, sockets moved aside. `make` runs on the first
 * {@link OpenContext.state} call of a restore; the session drops the value
 * with everything else it owns, so a checkpoint can be restored again.
 */
export interface StateSlot<T> {
  readonly make: (cp: Checkpoint) => T;
}

/** A slot whose value `make` builds once per restore. */
export function stateSlot<T>(make: (cp: Checkpoint) => T): StateSlot<T> {
  return { make };
}

/**
 * Connected TCP sockets: "refuse" them (no option), or make each a new
 * unbound socket in the CLOSE state: "close" (--tcp-close, silently) and
 * "established" (--tcp-established: fdrestore has no TCP repair; warns).
 */
export type TcpMode = "refuse" | "established" | "close";

export interface OpenContext {
  readonly cp: Checkpoint;
  /** The task whose master entry is being opened. */
  readonly task: Task;
  /** Where image paths are resolved ("/" unless --root). */
  readonly root: string;
  readonly inherit: InheritFdTable;
  readonly log: Logger;
  /** `check`: a dry run that creates, binds, links and removes no name on disk. */
  readonly dryRun?: boolean;
  /** `--untrusted`: nothing on disk is removed that this run did not create. */
  readonly untrusted?: boolean;
  /** This restore's value of `slot` (made on first use, dropped when the restore ends). */
  state<T>(slot: StateSlot<T>): T;
  /** The staged descriptor of another file when it is already open. */
  stagedFd(file: FileDesc): number | undefined;
  /** The fd entry of `task` at number `fd`, for types that name fds (epoll). */
  fdEntry(task: Task, fd: number): FdEntry | undefined;
  /**
   * Hands over a descriptor this open produced for *another* file (the other
   * end of a pipe, the peer of a socket pair). The scheduler owns it from now.
   */
  provide(file: FileDesc, fd: number): void;
  /**
   * Finishes `file` later (CRIU's post-open stage): `step` runs after the
   * opens of each pass until it returns true; false means a file it needs is
   * not open yet. For work that waits on files which wait on this one: a
   * socket queue that carries an epoll watching the socket.
   */
  afterOpen(file: FileDesc, step: () => boolean): void;
  /** Runs when the restore ends, whatever the outcome (temporary files). */
  onCleanup(fn: () => void): void;
  /** Runs once every task started, with old pid → new pid (fd owners). */
  afterStart(fn: (pids: ReadonlyMap<number, number>) => void): void;
  /** What comes of a connected TCP socket: refused, or a new closed socket (README). */
  readonly tcp?: TcpMode;
  /** `--shell-job`: a terminal whose other end is outside the dump is fdrestore's stdin. */
  readonly shellJob?: boolean;
  /**
   * Leaves `file` to the started task, which opens `path` with `flags` once
   * its controlling terminal is set (a /dev/tty); the opener returns IN_TASK.
   */
  openInTask?(file: FileDesc, path: string, flags: number): void;
  /**
   * Leaves `file`, a pidfd of task `pid` (pid in the dump), to each task
   * that holds it: it opens it once its target runs; the opener returns IN_TASK.
   */
  pidfdInTask?(file: FileDesc, pid: number, flags: number): void;
  /**
   * Keeps `fd` for a step after the opens (a session's controlling terminal):
   * the session owns it where it is, closes it when the restore ends, and
   * returns its number.
   */
  hold?(fd: number): number;
}

export interface FileOpener<T extends FileType = FileType> {
  /** FD_TYPE number. */
  readonly type: T;
  /** Opens `file` (of this opener's type: its payload is typed); the scheduler owns the result. */
  open(ctx: OpenContext, file: FileOf<T>): OpenResult;
  /**
   * Files `file` carries that no task may hold (a socket queue's SCM_RIGHTS):
   * the scheduler opens them as hidden files of the task that opens `file`.
   */
  carried?(cp: Checkpoint, file: FileOf<T>): FileDesc[];
}

/** A file that cannot be restored: unsupported type, missing path, bad size... */
export { RestoreError } from "../restore_error.ts";
