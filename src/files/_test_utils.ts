/**
 * Test fixtures for the openers: hand-made checkpoint models, and an
 * OpenContext whose staged files, post-open steps, cleanups and after-start
 * steps the test controls.
 */
import { LOG_LEVEL, Logger } from "../log.ts";
import { InheritFdTable } from "../inherit/mod.ts";
import {
  type Checkpoint,
  fakeFile,
  type FdEntry,
  type FileDesc,
  type FileKey,
  fileKey,
  type FileOf,
  fileOf as modelFileOf,
  type FileType,
  type PipeData,
  type Task,
} from "../model/mod.ts";
import type { MemfdInodeEntry, TtyInfoEntry } from "../image/mod.ts";
import { close, fstat, read, readlink } from "../sys/mod.ts";
import type { OpenContext, StateSlot } from "./opener.ts";

export interface FileSpec {
  id: number;
  type: number;
  payload: Record<string, unknown>;
  /** [pid, fd] of each fd entry, in the order the model lists them. */
  fds?: [number, number][];
}

export interface ModelSpec {
  files: FileSpec[];
  pipeData?: PipeData[];
  fifoData?: PipeData[];
  /** The root task's pid when it must exist without fds (default: the first pid used). */
  rootPid?: number;
  /** The images folder (default /nonexistent). */
  dir?: string;
}

/** A live task of its own session and group, with no fds; `extra` sets or adds fields. */
export function fakeTask(pid: number, extra: Partial<Task> = {}): Task {
  return {
    pid,
    ppid: 0,
    pgid: pid,
    sid: pid,
    threads: [pid],
    state: 1,
    comm: "t",
    fds: [],
    children: [],
    ...extra,
  };
}

/** A checkpoint holding exactly `spec`'s files; tasks are made from the pids used. */
export function model(spec: ModelSpec): Checkpoint {
  const tasks = new Map<number, Task>();
  if (spec.rootPid !== undefined) tasks.set(spec.rootPid, fakeTask(spec.rootPid));
  const files = new Map<FileKey, FileDesc>();
  for (const f of spec.files) {
    const fds: FdEntry[] = [];
    const file = fakeFile(f.id, f.type, f.payload, fds);
    for (const [pid, fd] of f.fds ?? []) {
      let t = tasks.get(pid);
      if (!t) tasks.set(pid, t = fakeTask(pid));
      const e: FdEntry = { task: t, fd, file, fdFlags: 0 };
      fds.push(e);
      t.fds.push(e);
    }
    fds.sort((a, b) => a.task.pid - b.task.pid);
    files.set(fileKey(f.type, f.id), file);
  }
  const list = [...tasks.values()];
  for (const t of list) t.fds.sort((a, b) => a.fd - b.fd);
  const byId = (d: PipeData[] = []) => new Map(d.map((x) => [x.pipeId, x]));
  return {
    dir: spec.dir ?? "/nonexistent",
    tasks: list,
    root: list[0] ?? fakeTask(1),
    files,
    pipeData: byId(spec.pipeData),
    fifoData: byId(spec.fifoData),
    socketQueues: new Map(),
    ttyInfo: new Map(),
    remaps: new Map(),
    memfdInodes: new Map(),
  };
}

export function fileOf<T extends FileType>(cp: Checkpoint, type: T, id: number): FileOf<T> {
  const f = modelFileOf(cp, type, id);
  if (!f) throw new Error(`no file ${type}:${id}`);
  return f;
}

/** A checkpoint of one task (pid 100) holding `files` at the given fd numbers. */
export function oneTask(
  files: (Omit<FileSpec, "fds"> & { fds?: number[] })[],
  dir = "/nonexistent",
): Checkpoint {
  const spec = files.map((f) => ({
    ...f,
    fds: (f.fds ?? []).map((fd): [number, number] => [100, fd]),
  }));
  return model({ files: spec, rootPid: 100, dir });
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
  /** Staged descriptors by file, as opens provide them; set one to make a file "open". */
  staged: Map<FileDesc, number>;
  inherit: InheritFdTable;
  lines: string[];
  /** Post-open steps the opens left (OpenContext.afterOpen), in order. */
  steps: (() => boolean)[];
  /** Runs the after-start steps (as after a successful restore). */
  started(): void;
  /** Runs the cleanups, closes the staged fds and the inherit table's copies. */
  dispose(): void;
}

/** An OpenContext on `cp`'s root task; image paths resolve under `root`. */
export function testContext(cp: Checkpoint, root = "/"): TestContext {
  const lines: string[] = [];
  const log = new Logger(LOG_LEVEL.DEBUG, (l) => lines.push(l));
  const inherit = new InheritFdTable({ stageBase: 600, callerFdsOnly: false, logger: log });
  const staged = new Map<FileDesc, number>();
  const state = new Map<StateSlot<unknown>, unknown>();
  const steps: (() => boolean)[] = [];
  const cleanups: (() => void)[] = [];
  const after: ((pids: ReadonlyMap<number, number>) => void)[] = [];
  const ctx: OpenContext = {
    cp,
    task: cp.root,
    root,
    inherit,
    log,
    state: <T>(slot: StateSlot<T>): T => {
      if (!state.has(slot)) state.set(slot, slot.make(cp));
      return state.get(slot) as T;
    },
    stagedFd: (f) => staged.get(f),
    fdEntry: (t, fd) => t.fds.find((e) => e.fd === fd),
    provide: (f, fd) => {
      if (staged.has(f)) throw new Error(`file ${f.id} provided twice`);
      staged.set(f, fd);
    },
    afterOpen: (_f, step) => void steps.push(step),
    onCleanup: (fn) => void cleanups.push(fn),
    afterStart: (fn) => void after.push(fn),
  };
  return {
    ctx,
    staged,
    inherit,
    lines,
    steps,
    started: () => {
      for (const fn of after.splice(0)) fn(new Map());
    },
    dispose: () => {
      for (const fn of cleanups.splice(0).reverse()) fn();
      for (const fd of staged.values()) close(fd);
      staged.clear();
      state.clear();
      inherit.finish();
    },
  };
}

/** /proc/self/fdinfo of `fd`. */
export function fdinfo(fd: number): string {
  return Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
}

/** Open fds of this process, without the one that lists them. */
export function openFds(): number[] {
  const fds: number[] = [];
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (/^\/proc\/\d+\/fd$/.test(readlink(`/proc/self/fd/${e.name}`))) continue;
    } catch {
      continue; // the listing's own fd, already closed
    }
    fds.push(Number(e.name));
  }
  return fds.sort((a, b) => a - b);
}

/** Reads until EAGAIN or end of file (the fd should be non-blocking or writer-less). */
export function readAllNow(fd: number): string {
  const buf = new Uint8Array(new ArrayBuffer(1 << 16));
  let text = "";
  for (;;) {
    let n: number;
    try {
      n = read(fd, buf);
    } catch {
      break;
    }
    if (n === 0) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text;
}

export function ino(fd: number): bigint {
  return fstat(fd).ino;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
