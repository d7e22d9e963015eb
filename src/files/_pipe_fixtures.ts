/**
 * Test fixtures for the pipe and FIFO openers: a hand-made checkpoint model
 * and an OpenContext that records what an open provides for other files.
 */
import { LOG_LEVEL, Logger } from "../cli/log.ts";
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
import { close, fstat, read, readlink } from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";

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
  const byId = (d: PipeData[] = []) => new Map(d.map((x) => [x.pipeId, x]));
  return {
    dir: "/nonexistent",
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

export interface FakeContext {
  ctx: OpenContext;
  /** What the open handed over for other files; the test closes them. */
  provided: Map<FileDesc, number>;
  inherit: InheritFdTable;
  lines: string[];
  /** Post-open steps the opens left (OpenContext.afterOpen), in order. */
  steps: (() => boolean)[];
  /** Closes every provided fd and the inherit table's copies. */
  dispose(): void;
}

export function fakeContext(cp: Checkpoint, root = "/"): FakeContext {
  const lines: string[] = [];
  const log = new Logger(LOG_LEVEL.DEBUG, (l) => lines.push(l));
  const inherit = new InheritFdTable({ stageBase: 600, callerFdsOnly: false, logger: log });
  const provided = new Map<FileDesc, number>();
  const steps: (() => boolean)[] = [];
  const ctx: OpenContext = {
    cp,
    task: cp.root,
    root,
    inherit,
    log,
    stagedFd: (f) => provided.get(f),
    fdEntry: (t, fd) => t.fds.find((e) => e.fd === fd),
    provide: (f, fd) => {
      if (provided.has(f)) throw new Error(`file ${f.id} provided twice`);
      provided.set(f, fd);
    },
    afterOpen: (_f, step) => void steps.push(step),
    onCleanup: () => {},
    afterStart: () => {},
  };
  return {
    ctx,
    provided,
    inherit,
    lines,
    steps,
    dispose() {
      for (const fd of provided.values()) close(fd);
      provided.clear();
      inherit.finish();
    },
  };
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
