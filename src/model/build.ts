/**
 * Builds the restore model from an image directory, the way CRIU's restore
 * collects it: tasks from pstree, fd tables by files_id (a child sharing its
 * parent's table is restored by the parent), files from files.img (or the
 * legacy per-type images), fd entries ordered by pid so that the master of a
 * file is its entry in the lowest pid, lowest fd.
 */
import { imageFileName, type TaskKobjIdsEntry } from "../image/mod.ts";
import { SCM_RIGHTS } from "../sys/consts.ts";
import type { ImageSource } from "./source.ts";
import { readProcessArgs } from "./memory.ts";
import {
  type Checkpoint,
  FD_TYPE,
  type FdEntry,
  type FileDesc,
  type FileKey,
  fileKey,
  fileOf,
  type PipeData,
  type SocketPacket,
  type Task,
  TASK_STATE,
} from "./types.ts";
import { collectFiles } from "./files.ts";

/** The kernel's limit on fd numbers; CRIU refuses targets at or above it. */
export function readNrOpen(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/sys/fs/nr_open").trim());
  } catch {
    return 1048576;
  }
}

export interface BuildOptions {
  /** Read argv and environment from the memory images (default true). */
  readonly args?: boolean;
  /** Upper bound for fd numbers (default: /proc/sys/fs/nr_open). */
  readonly nrOpen?: number;
  /**
   * Keep every file's payload decoded (default false: kept as its bytes in
   * files.img and decoded when asked for). `show` reads each payload many
   * times; a restore of 100,000 fds would hold 11 MB more.
   */
  readonly decodedPayloads?: boolean;
  /**
   * Called with the task tree (pids, sessions, groups, states; no fds yet)
   * before the rest is read: a restore starts its helpers from it.
   */
  readonly afterTasks?: (tasks: readonly Task[]) => void;
}

export function buildCheckpoint(src: ImageSource, opts: BuildOptions = {}): Checkpoint {
  checkInventory(src);
  const tasks = readTasks(src);
  opts.afterTasks?.(tasks);
  const root = tasks.find((t) => t.ppid === 0) ?? tasks[0];
  const files = collectFiles(src, opts.decodedPayloads ?? false);
  const nrOpen = opts.nrOpen ?? readNrOpen();
  for (const task of tasks) {
    if (task.tableOwner === task) readFdTable(src, task, files, nrOpen);
  }
  // A file's entries in restore priority: by pid, stable within a pid. An array
  // grown by push keeps room for 17 entries: copied to its exact size.
  for (const file of files.values()) {
    if (file.fds.length > 1) file.fds.sort((a, b) => a.task.pid - b.task.pid);
    if (file.fds.length > 2) (file as { fds: FdEntry[] }).fds = file.fds.slice();
  }
  for (const task of tasks) readFs(src, task, files, opts.args ?? true);
  return {
    dir: src.dir,
    source: src,
    tasks,
    root,
    files,
    pipeData: readPipeData(src, "pipes-data"),
    fifoData: readPipeData(src, "fifo-data"),
    socketQueues: readQueues(src),
    remaps: new Map(src.entries("remap-fpath").map((e) => [e.orig_id, e])),
    ttyInfo: new Map(src.entries("tty-info").map((e) => [e.id, e])),
    ttyData: readTtyData(src),
    fileLocks: src.entries("filelocks"),
    memfdInodes: new Map(src.entries("memfd").map((e) => [e.inode_id, e])),
  };
}

function checkInventory(src: ImageSource): void {
  const inv = src.entries("inventory", undefined, { required: true, first: true })[0];
  if (!inv) throw src.error("inventory.img", "Inventory image is empty");
  const version = inv.img_version;
  if (version !== 1 && version !== 2) {
    throw src.error("inventory.img", `Not supported images version ${version}`);
  }
  if (inv.fdinfo_per_id !== true) {
    throw src.error("inventory.img", "Too old image, no longer supported");
  }
}

function readTasks(src: ImageSource): Task[] {
  const entries = src.entries("pstree", undefined, { required: true });
  if (entries.length === 0) throw src.error("pstree.img", "pstree.img has no tasks");
  const tasks: Task[] = [];
  const byPid = new Map<number, Task>();
  for (const e of entries) {
    const pid = e.pid;
    if (byPid.has(pid)) throw src.error("pstree.img", `task ${pid} is listed twice`);
    const core = src.entries("core", pid, { first: true })[0];
    const tc = core?.tc;
    const ids = src.entries("ids", pid, { first: true })[0];
    const task: Task = {
      pid,
      ppid: e.ppid,
      pgid: e.pgid,
      sid: e.sid,
      threads: e.threads ?? [],
      state: tc?.task_state ?? 0,
      comm: tc?.comm ?? "",
      filesId: ids?.files_id,
      ...(ids ? { nsIds: nsIdsOf(ids) } : {}),
      fds: [],
      children: [],
    };
    const parent = byPid.get(task.ppid);
    if (parent) {
      task.parent = parent;
      parent.children.push(task);
    } else if (task.ppid !== 0) {
      throw src.error(
        "pstree.img",
        `task ${pid} names parent ${task.ppid}, listed nowhere before it`,
      );
    }
    // Dead tasks (zombies) and tasks without ids have no fd table.
    if (task.filesId !== undefined && task.state !== TASK_STATE.DEAD) {
      const p = task.parent;
      task.tableOwner = p && p.filesId === task.filesId && p.tableOwner ? p.tableOwner : task;
    }
    byPid.set(pid, task);
    tasks.push(task);
  }
  return tasks;
}

/** The namespace kinds of task_kobj_ids_entry, named as in /proc/PID/ns. */
const NS_KINDS = ["pid", "net", "ipc", "uts", "mnt", "user", "cgroup", "time"] as const;

function nsIdsOf(ids: TaskKobjIdsEntry): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of NS_KINDS) {
    const id = ids[`${kind}_ns_id`];
    if (id !== undefined) out[kind] = id;
  }
  return out;
}

function readFdTable(
  src: ImageSource,
  task: Task,
  files: Map<FileKey, FileDesc>,
  nrOpen: number,
): void {
  const image = imageFileName("fdinfo", task.filesId);
  src.each("fdinfo", task.filesId, (e, i) => {
    const { fd, id, type } = e;
    if (fd >= nrOpen) throw src.error(image, `Too big FD number to restore ${fd}`, i);
    const file = files.get(fileKey(type, id));
    if (!file) throw src.error(image, `No file for fd ${fd} id ${hexId(id)}`, i);
    const prev = task.fds[task.fds.length - 1];
    if (prev && prev.fd >= fd) {
      throw src.error(image, `fd ${fd} of task ${task.pid} is listed twice or out of order`, i);
    }
    const entry: FdEntry = { task, fd, file, fdFlags: e.flags };
    task.fds.push(entry);
    // Most files have one or two fds: literals of exactly that size (an array
    // grown by push has room for 17: 100,000 fds would hold 9 MB of nothing).
    const fds = file.fds;
    if (fds.length === 0) (file as { fds: FdEntry[] }).fds = [entry];
    else if (fds.length === 1) (file as { fds: FdEntry[] }).fds = [fds[0], entry];
    else fds.push(entry);
  });
}

function hexId(id: number): string {
  return "0x" + id.toString(16);
}

function regName(files: Map<FileKey, FileDesc>, id: number | undefined): string | undefined {
  return id === undefined ? undefined : fileOf({ files }, FD_TYPE.REG, id)?.payload.name;
}

function readFs(src: ImageSource, task: Task, files: Map<FileKey, FileDesc>, args: boolean): void {
  const fs = src.entries("fs", task.pid, { first: true })[0];
  if (fs) {
    task.cwd = regName(files, fs.cwd_id);
    if (fs.cwd_id !== undefined) task.cwdId = fs.cwd_id;
    task.root = regName(files, fs.root_id);
    if (fs.umask !== undefined) task.umask = fs.umask;
  }
  const mm = src.entries("mm", task.pid, { first: true })[0];
  if (mm) {
    task.exe = regName(files, mm.exe_file_id);
    if (args) {
      const found = readProcessArgs(src, task.pid, mm);
      task.argv = found.argv;
      task.env = found.env;
      if (found.argvCut) task.argvCut = true;
    }
  }
}

function readPipeData(src: ImageSource, image: "pipes-data" | "fifo-data"): Map<number, PipeData> {
  const map = new Map<number, PipeData>();
  const entries = src.entries(image);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const pipeId = e.pipe_id;
    if (map.has(pipeId)) {
      throw src.error(imageFileName(image), `Double data restore occurred on ${pipeId}`, i);
    }
    map.set(pipeId, {
      pipeId,
      size: e.size,
      bytes: e.extra,
    });
  }
  return map;
}

/** criu keeps the first data entry of a terminal. */
function readTtyData(src: ImageSource): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const e of src.entries("tty-data")) {
    if (!map.has(e.tty_id)) map.set(e.tty_id, e.data);
  }
  return map;
}

function readQueues(src: ImageSource): Map<number, SocketPacket[]> {
  const map = new Map<number, SocketPacket[]>();
  for (const e of src.entries("sk-queues")) {
    const idFor = e.id_for;
    const rights: number[] = [];
    for (const scm of e.scm ?? []) {
      if (scm.type === SCM_RIGHTS) rights.push(...scm.rights ?? []);
    }
    const list = map.get(idFor) ?? [];
    list.push({ idFor, data: e.extra, rights });
    map.set(idFor, list);
  }
  return map;
}
