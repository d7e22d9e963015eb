/**
 * The prepare_fds scheduler for tasks restored by this process: opens every
 * file once, through its master (the first fd entry: lowest pid, lowest fd),
 * in passes until every file is open or a pass makes no progress. Every
 * descriptor stays at the number it was opened at (the lowest free one):
 * spawn moves it to its targets in the child, so a table of N fds needs about
 * N numbers here, not N above its highest target. Fd entries that share a
 * file share its staged descriptor.
 */
import type { Logger } from "../log.ts";
import { InheritFdError, type InheritFdTable } from "../inherit/mod.ts";
import {
  type Checkpoint,
  type FdEntry,
  fdTypeName,
  type FileDesc,
  type Task,
} from "../model/mod.ts";
import { AGAIN, IN_TASK, type OpenContext, type StateSlot, type TcpMode } from "../files/opener.ts";
import { RestoreError } from "../restore_error.ts";
import { openerFor, openerOf } from "../files/registry.ts";
import { close, closeAll, SysError } from "../sys/mod.ts";

export interface OpenOptions {
  readonly root: string;
  readonly inherit: InheritFdTable;
  readonly log: Logger;
  /** --shell-job. */
  readonly shellJob?: boolean;
  /** --tcp-established / --tcp-close (see OpenContext.tcp). */
  readonly tcp?: TcpMode;
  /** `check`: touch no name on disk (see OpenContext.dryRun). */
  readonly dryRun?: boolean;
  /** --untrusted (see OpenContext.untrusted). */
  readonly untrusted?: boolean;
}

/**
 * A file the started task opens itself: a path, after its controlling
 * terminal is set, or a pidfd of task `pid` (pid in the dump) once it runs.
 */
export type TaskOpen =
  | { readonly path: string; readonly flags: number }
  | { readonly pid: number; readonly flags: number };

/**
 * Everything one restore owns: the staged descriptors, the state each fd type
 * keeps meanwhile (see StateSlot), cleanups and after-start steps. `release`
 * closes and drops it all; nothing of a restore outlives its session.
 */
export class RestoreSession {
  readonly #fds = new Map<FileDesc, number>();
  readonly #state = new Map<StateSlot<unknown>, unknown>();
  readonly #cleanups: (() => void)[] = [];
  readonly #afterStart: ((pids: ReadonlyMap<number, number>) => void)[] = [];
  readonly #inTask = new Map<FileDesc, TaskOpen>();
  readonly #held: number[] = [];

  constructor(readonly cp: Checkpoint) {}

  /** This restore's value of `slot`, made on first use. */
  state<T>(slot: StateSlot<T>): T {
    if (this.#state.has(slot)) return this.#state.get(slot) as T;
    const value = slot.make(this.cp);
    this.#state.set(slot, value);
    return value;
  }

  get(file: FileDesc): number | undefined {
    return this.#fds.get(file);
  }

  /** True once `file` is open or left to the task. */
  done(file: FileDesc): boolean {
    return this.#fds.has(file) || this.#inTask.has(file);
  }

  openInTask(file: FileDesc, open: TaskOpen): void {
    this.#inTask.set(file, open);
  }

  /** What `task` opens itself, by target fd (fds of one file share its first open). */
  taskOpens(task: Task): Map<number, TaskOpen> {
    const out = new Map<number, TaskOpen>();
    if (this.#inTask.size === 0) return out;
    for (const e of task.fds) {
      const o = this.#inTask.get(e.file);
      if (o) out.set(e.fd, o);
    }
    return out;
  }

  /** Takes ownership of `fd`, no file's but kept for a later step (see OpenContext.hold), where it is. */
  hold(fd: number): number {
    this.#held.push(fd);
    return fd;
  }

  /** Takes ownership of `fd` for `file`, where it is. */
  adopt(file: FileDesc, fd: number): number {
    if (this.#fds.has(file)) {
      close(fd);
      // An opener's bug, but still named like every other error.
      const m = file.fds[0];
      const type = fdTypeName(file.type);
      const what = m
        ? `fd ${m.fd} of task ${m.task.pid} (${type}, id ${file.id})`
        : `${type} file id ${file.id}`;
      throw new RestoreError(
        `${what} was opened twice`,
        { pid: m?.task.pid, fd: m?.fd, fileId: file.id },
      );
    }
    this.#fds.set(file, fd);
    return fd;
  }

  onCleanup(fn: () => void): void {
    this.#cleanups.push(fn);
  }

  afterStart(fn: (pids: ReadonlyMap<number, number>) => void): void {
    this.#afterStart.push(fn);
  }

  /** Runs the owner steps that need the new pids. */
  started(pids: ReadonlyMap<number, number>): void {
    for (const fn of this.#afterStart.splice(0)) fn(pids);
  }

  /** The staged descriptor of fd entry `e` of `task`; undefined when the task opens it. */
  tableFd(task: Task, e: FdEntry): number | undefined {
    const fd = this.#fds.get(e.file);
    if (fd !== undefined || this.#inTask.has(e.file)) return fd;
    throw new RestoreError(`fd ${e.fd} of task ${task.pid} was never opened`);
  }

  /**
   * Closes every staged and held descriptor, keeping the cleanups for
   * {@link release}: once the tasks hold their files, our copies would only
   * keep their addresses busy (a program that closes what it inherited and
   * binds again).
   */
  closeDescriptors(): void {
    closeAll([...this.#fds.values(), ...this.#held.splice(0)]);
    this.#fds.clear();
  }

  /** Closes every staged descriptor and runs the cleanups. Safe to call twice. */
  release(): void {
    this.closeDescriptors();
    this.#inTask.clear();
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // best effort: a cleanup must not hide the restore's own error
      }
    }
    this.#state.clear();
  }
}

/** Opens every file of the fd tables of `tasks` (table owners). */
export function openFiles(cp: Checkpoint, tasks: Task[], opts: OpenOptions): RestoreSession {
  const staged = new RestoreSession(cp);
  try {
    // Files in master order: by the master's task (pid order), then fd.
    const masters: FdEntry[] = [];
    const seen = new Set<FileDesc>();
    for (const task of [...tasks].sort((a, b) => a.pid - b.pid)) {
      for (const e of task.fds) {
        if (seen.has(e.file)) continue;
        seen.add(e.file);
        masters.push(e.file.fds[0] ?? e);
      }
    }
    addHiddenFiles(cp, masters, seen);
    // One context per task, not per file: thousands of files share a few.
    const contexts = new Map<Task, OpenContext>();
    const steps: PostOpen[] = [];
    const contextOf = (task: Task): OpenContext => {
      let ctx = contexts.get(task);
      if (ctx) return ctx;
      const afterOpen = (file: FileDesc, run: () => boolean) => {
        const master = masters.find((m) => m.file === file) ?? { task, fd: -1, file, fdFlags: 0 };
        steps.push({ master, run });
      };
      contexts.set(task, ctx = openContext(cp, task, staged, opts, afterOpen));
      return ctx;
    };
    let pending = masters;
    while (pending.length > 0 || steps.length > 0) {
      const again: FdEntry[] = [];
      for (const master of pending) {
        if (staged.done(master.file)) continue; // provided by another open
        const fd = named(
          master,
          () => openerFor(master.file).open(contextOf(master.task), master.file),
        );
        if (fd === AGAIN) again.push(master);
        else if (fd !== IN_TASK) staged.adopt(master.file, fd);
      }
      let progress = again.length < pending.length;
      for (const step of steps.splice(0)) {
        if (named(step.master, step.run)) progress = true;
        else steps.push(step);
      }
      if (!progress) {
        const m = again[0] ?? steps[0].master;
        throw new RestoreError(
          `fd ${m.fd} of task ${m.task.pid} (${fdTypeName(m.file.type)}, id ${m.file.id}) ` +
            `cannot make progress: it waits for a file that never opens`,
          { pid: m.task.pid, fd: m.fd, fileId: m.file.id },
        );
      }
      pending = again;
    }
    return staged;
  } catch (e) {
    staged.release();
    throw e;
  }
}

/**
 * Files no task holds but another file carries (FileOpener.carried: a socket
 * queue's SCM_RIGHTS after the sender closed its copy): CRIU opens them as
 * hidden fds of the task that restores the carrier. Here they get a master
 * entry of that task with no fd number (-1): opened and staged like any file,
 * handed over, never placed. A carried file may carry more: followed until none.
 */
function addHiddenFiles(cp: Checkpoint, masters: FdEntry[], seen: Set<FileDesc>): void {
  for (let i = 0; i < masters.length; i++) {
    const master = masters[i];
    for (const file of openerOf(master.file.type)?.carried?.(cp, master.file) ?? []) {
      if (seen.has(file)) continue;
      seen.add(file);
      masters.push({ task: master.task, fd: -1, file, fdFlags: 0 });
    }
  }
}

/** A file's post-open step (see OpenContext.afterOpen) and the entry it is named by. */
interface PostOpen {
  readonly master: FdEntry;
  readonly run: () => boolean;
}

function openContext(
  cp: Checkpoint,
  task: Task,
  staged: RestoreSession,
  opts: OpenOptions,
  afterOpen: OpenContext["afterOpen"],
): OpenContext {
  return {
    cp,
    task,
    root: opts.root,
    inherit: opts.inherit,
    log: opts.log,
    dryRun: opts.dryRun,
    untrusted: opts.untrusted,
    state: (slot) => staged.state(slot),
    stagedFd: (file) => staged.get(file),
    fdEntry: (task, fd) => task.fds.find((e) => e.fd === fd),
    provide: (file, fd) => void staged.adopt(file, fd),
    afterOpen,
    onCleanup: (fn) => staged.onCleanup(fn),
    afterStart: (fn) => staged.afterStart(fn),
    shellJob: opts.shellJob,
    tcp: opts.tcp,
    openInTask: (file, path, flags) => staged.openInTask(file, { path, flags }),
    hold: (fd) => staged.hold(fd),
    pidfdInTask: (file, pid, flags) => staged.openInTask(file, { pid, flags }),
  };
}

/** Runs an open or post-open step of `master`'s file; its errors name the task and fd. */
function named<T>(master: FdEntry, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RestoreError && e.fd !== undefined) throw e;
    const what = e instanceof Error ? e.message : String(e);
    const name = `fd ${master.fd} of task ${master.task.pid}`;
    if (e instanceof InheritFdError) {
      throw new InheritFdError(`${name}: ${what}`, { fd: e.fd, key: e.key }, { cause: e });
    }
    const msg = `Unable to open fd=${master.fd} id=0x${master.file.id.toString(16)}: ${what}`;
    throw new RestoreError(e instanceof SysError ? `${name}: ${msg}` : `${name}: ${what}`, {
      pid: master.task.pid,
      fd: master.fd,
      fileId: master.file.id,
    }, { cause: e });
  }
}
