/**
 * Test fixtures for the eventfd/signalfd/timerfd/epoll/inotify and remap
 * tests: a hand-made one-task model and an OpenContext whose staged files,
 * cleanups and after-start steps the test controls.
 */
import { LOG_LEVEL, Logger } from "../cli/log.ts";
import { InheritFdTable } from "../inherit/mod.ts";
import {
  type Checkpoint,
  fakeFile,
  type FdEntry,
  type FileDesc,
  fileKey,
  type FileOf,
  type FileType,
  type Task,
} from "../model/mod.ts";
import type { MemfdInodeEntry, TtyInfoEntry } from "../image/mod.ts";
import { close } from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";

/** A file of the one task: id, type, payload and its fd numbers. */
export interface FileSpec {
  id: number;
  type: number;
  payload: Record<string, unknown>;
  fds?: number[];
}

/** A checkpoint of one task (pid 100) holding `files`. */
export function oneTask(files: FileSpec[], dir = "/nonexistent"): Checkpoint {
  const task: Task = {
    pid: 100,
    ppid: 0,
    pgid: 100,
    sid: 100,
    threads: [100],
    state: 1,
    comm: "t",
    fds: [],
    children: [],
  };
  const map = new Map<ReturnType<typeof fileKey>, FileDesc>();
  for (const f of files) {
    const file = fakeFile(f.id, f.type, f.payload);
    for (const fd of f.fds ?? []) {
      const e: FdEntry = { task, fd, file, fdFlags: 0 };
      file.fds.push(e);
      task.fds.push(e);
    }
    map.set(fileKey(f.type, f.id), file);
  }
  task.fds.sort((a, b) => a.fd - b.fd);
  return {
    dir,
    tasks: [task],
    root: task,
    files: map,
    pipeData: new Map(),
    fifoData: new Map(),
    socketQueues: new Map(),
    ttyInfo: new Map(),
    remaps: new Map(),
    memfdInodes: new Map(),
  };
}

/** The first file of `type` in `cp`. */
export function firstFile<T extends FileType>(cp: Checkpoint, type: T, id?: number): FileOf<T> {
  for (const f of cp.files.values()) {
    if (f.type === type && (id === undefined || f.id === id)) return f as FileOf<T>;
  }
  throw new Error(`no file of type ${type}`);
}

/** A tty_info_entry with the fields a test does not care about at their zero. */
export function ttyInfo(e: Pick<TtyInfoEntry, "id" | "type" | "rdev"> & Partial<TtyInfoEntry>) {
  return { locked: false, exclusive: false, packet_mode: false, sid: 0, pgrp: 0, ...e };
}

/** A memfd_inode_entry likewise. */
export function memfdInode(
  e: Pick<MemfdInodeEntry, "name" | "inode_id" | "size" | "shmid"> & Partial<MemfdInodeEntry>,
): MemfdInodeEntry {
  return { uid: 0, gid: 0, seals: 0, ...e };
}

export interface TestContext {
  ctx: OpenContext;
  /** Staged descriptors by file: set them to make a file "open". */
  staged: Map<FileDesc, number>;
  lines: string[];
  /** Runs the after-start steps (as after a successful restore). */
  started(): void;
  /** Runs the cleanups and closes the staged fds and inherit copies. */
  dispose(): void;
}

/** An OpenContext on `cp`'s root task; image paths resolve under `root`. */
export function testContext(cp: Checkpoint, root = "/"): TestContext {
  const lines: string[] = [];
  const log = new Logger(LOG_LEVEL.DEBUG, (l) => lines.push(l));
  const inherit = new InheritFdTable({ stageBase: 600, callerFdsOnly: false, logger: log });
  const staged = new Map<FileDesc, number>();
  const cleanups: (() => void)[] = [];
  const after: ((pids: ReadonlyMap<number, number>) => void)[] = [];
  const ctx: OpenContext = {
    cp,
    task: cp.root,
    root,
    inherit,
    log,
    stagedFd: (f) => staged.get(f),
    fdEntry: (t, fd) => t.fds.find((e) => e.fd === fd),
    provide: (f, fd) => void staged.set(f, fd),
    afterOpen: () => {
      throw new Error("no opener of these types finishes later");
    },
    onCleanup: (fn) => void cleanups.push(fn),
    afterStart: (fn) => void after.push(fn),
  };
  return {
    ctx,
    staged,
    lines,
    started: () => {
      for (const fn of after.splice(0)) fn(new Map());
    },
    dispose: () => {
      for (const fn of cleanups.splice(0).reverse()) fn();
      for (const fd of staged.values()) close(fd);
      staged.clear();
      inherit.finish();
    },
  };
}

/** /proc/self/fdinfo of `fd`. */
export function fdinfo(fd: number): string {
  return Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
}
