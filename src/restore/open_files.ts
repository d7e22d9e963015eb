/**
 * The prepare_fds scheduler for tasks restored by this process: opens every
 * file once, through its master (the first fd entry: lowest pid, lowest fd),
 * in passes until every file is open or a pass makes no progress. Every
 * descriptor is staged above the highest target number with close-on-exec;
 * fd entries that share a file share its staged descriptor.
 */
import type { Logger } from "../cli/log.ts";
import type { InheritFdTable } from "../inherit/mod.ts";
import {
  type Checkpoint,
  type FdEntry,
  fdTypeName,
  type FileDesc,
  type Task,
} from "../model/mod.ts";
import { AGAIN, type OpenContext } from "../files/opener.ts";
import { RestoreError } from "../files/restore_error.ts";
import { openerFor } from "../files/registry.ts";
import { close, dupAbove, pathInRoot, SysError } from "../sys/mod.ts";

export interface OpenOptions {
  readonly root: string;
  readonly inherit: InheritFdTable;
  readonly log: Logger;
  /** Staged descriptors go at or above this number (above every target). */
  readonly stageBase: number;
}

/** The staged descriptors of a restore; `release` closes them all. */
export class StagedFiles {
  readonly #fds = new Map<FileDesc, number>();
  readonly #cleanups: (() => void)[] = [];
  readonly #afterStart: ((pids: ReadonlyMap<number, number>) => void)[] = [];

  constructor(readonly stageBase: number) {}

  get(file: FileDesc): number | undefined {
    return this.#fds.get(file);
  }

  /** Takes ownership of `fd` for `file`, moving it above the stage base. */
  adopt(file: FileDesc, fd: number): number {
    if (this.#fds.has(file)) {
      close(fd);
      throw new RestoreError(`file id ${file.id} was opened twice`, { fileId: file.id });
    }
    let staged = fd;
    try {
      staged = dupAbove(fd, this.stageBase);
    } finally {
      try {
        close(fd);
      } catch {
        // Linux released it anyway; the staged copy is what counts
      }
    }
    this.#fds.set(file, staged);
    return staged;
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

  /** The fd table of a task: target number → staged descriptor. */
  tableOf(task: Task): Map<number, number> {
    const table = new Map<number, number>();
    for (const e of task.fds) {
      const fd = this.#fds.get(e.file);
      if (fd === undefined) {
        throw new RestoreError(`fd ${e.fd} of task ${task.pid} was never opened`);
      }
      table.set(e.fd, fd);
    }
    return table;
  }

  /** Closes every staged descriptor and runs the cleanups. Safe to call twice. */
  release(): void {
    for (const fd of this.#fds.values()) {
      try {
        close(fd);
      } catch {
        // already closed
      }
    }
    this.#fds.clear();
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        fn();
      } catch {
        // best effort: a cleanup must not hide the restore's own error
      }
    }
  }
}

/** Opens every file of the fd tables of `tasks` (table owners). */
export function openFiles(cp: Checkpoint, tasks: Task[], opts: OpenOptions): StagedFiles {
  const staged = new StagedFiles(opts.stageBase);
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
    let pending = masters;
    while (pending.length > 0) {
      const again: FdEntry[] = [];
      for (const master of pending) {
        if (staged.get(master.file) !== undefined) continue; // provided by another open
        const fd = openOne(cp, master, staged, opts);
        if (fd === AGAIN) again.push(master);
        else staged.adopt(master.file, fd);
      }
      if (again.length === pending.length) {
        const m = again[0];
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

function openOne(cp: Checkpoint, master: FdEntry, staged: StagedFiles, opts: OpenOptions) {
  const ctx: OpenContext = {
    cp,
    task: master.task,
    root: opts.root,
    inherit: opts.inherit,
    log: opts.log,
    resolve: (path) => pathInRoot(opts.root, path),
    stagedFd: (file) => staged.get(file),
    fdEntry: (task, fd) => task.fds.find((e) => e.fd === fd),
    provide: (file, fd) => void staged.adopt(file, fd),
    onCleanup: (fn) => staged.onCleanup(fn),
    afterStart: (fn) => staged.afterStart(fn),
  };
  try {
    return openerFor(master.file).open(ctx, master.file);
  } catch (e) {
    if (e instanceof RestoreError && e.fd !== undefined) throw e;
    const what = e instanceof Error ? e.message : String(e);
    const name = `fd ${master.fd} of task ${master.task.pid}`;
    const msg = `Unable to open fd=${master.fd} id=0x${master.file.id.toString(16)}: ${what}`;
    throw new RestoreError(e instanceof SysError ? `${name}: ${msg}` : `${name}: ${what}`, {
      pid: master.task.pid,
      fd: master.fd,
      fileId: master.file.id,
    }, { cause: e });
  }
}
