/**
 * The restore model: tasks, files and fd entries, built from an image
 * directory. Vocabulary follows CRIU (`file_desc` → {@link FileDesc}, `fle` →
 * {@link FdEntry}, master = the first fd entry of a file).
 */

import {
  FD_TYPE,
  type FileEntry,
  type FileLockEntry,
  type MemfdInodeEntry,
  type RemapFilePathEntry,
  TASK_STATE,
  type TtyInfoEntry,
} from "../image/mod.ts";
import type { ImageSource } from "./source.ts";

/** CRIU's fd_types enum and task states, as the image reader defines them. */
export { FD_TYPE, TASK_STATE };

/**
 * file_entry's payload field for each fd type; payload types follow from it.
 * It stays here, not derived from the descriptors (src/fdtypes/): the model
 * decodes files.img with it and the descriptors are typed by `FileOf<T>`, so
 * deriving it would make model and descriptors import each other. Each
 * descriptor names its field again, checked against this map at compile time.
 */
export const PAYLOAD_FIELD = {
  [FD_TYPE.REG]: "reg",
  [FD_TYPE.INETSK]: "isk",
  [FD_TYPE.NS]: "nsf",
  [FD_TYPE.PACKETSK]: "psk",
  [FD_TYPE.NETLINKSK]: "nlsk",
  [FD_TYPE.EVENTFD]: "efd",
  [FD_TYPE.EVENTPOLL]: "epfd",
  [FD_TYPE.SIGNALFD]: "sgfd",
  [FD_TYPE.TUNF]: "tunf",
  [FD_TYPE.TIMERFD]: "tfd",
  [FD_TYPE.INOTIFY]: "ify",
  [FD_TYPE.FANOTIFY]: "ffy",
  [FD_TYPE.EXT]: "ext",
  [FD_TYPE.UNIXSK]: "usk",
  [FD_TYPE.FIFO]: "fifo",
  [FD_TYPE.PIPE]: "pipe",
  [FD_TYPE.TTY]: "tty",
  [FD_TYPE.MEMFD]: "memfd",
  [FD_TYPE.BPFMAP]: "bpf",
  [FD_TYPE.PIDFD]: "pidfd",
} as const satisfies Readonly<Record<number, keyof FileEntry>>;

/** An fd type a file can have: one with a payload field in file_entry. */
export type FileType = keyof typeof PAYLOAD_FIELD;

/** The payload of a file of type `T`: a generated entry type (RegFileEntry for REG...). */
export type Payload<T extends FileType> = NonNullable<FileEntry[(typeof PAYLOAD_FIELD)[T]]>;

export type FdTypeName = keyof typeof FD_TYPE;

const TYPE_NAMES = new Map<number, FdTypeName>(
  Object.entries(FD_TYPE).map(([name, n]) => [n, name as FdTypeName]),
);

/** The name of an fd type number, or `TYPE<n>` for one CRIU does not define. */
export function fdTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** One open file description of the dump of type `T` (an entry of files.img). */
export interface FileOf<T extends FileType> {
  /** file_entry.id, unique per type (and across types in files.img). */
  readonly id: number;
  /** FD_TYPE number. */
  readonly type: T;
  /** The per-type payload (file_entry.reg, .pipe, ...) as decoded. */
  readonly payload: Payload<T>;
  /** Every fd entry of this file, ordered by task pid, then insertion. */
  readonly fds: FdEntry[];
}

/** Any file of the dump: a union discriminated by `type`, so `payload` is typed once narrowed. */
export type FileDesc = { [T in FileType]: FileOf<T> }[FileType];

/** True when `file` is of type `type` (narrows its payload). */
export function isType<T extends FileType>(file: FileDesc, type: T): file is FileDesc & FileOf<T> {
  return file.type === type;
}

/** The file of type `type` and id `id` (a REG entry named by regf_id...), if there is one. */
export function fileOf<T extends FileType>(
  cp: Pick<Checkpoint, "files">,
  type: T,
  id: number,
): FileOf<T> | undefined {
  const f = cp.files.get(fileKey(type, id));
  return f && isType(f, type) ? f : undefined;
}

export type RegFile = FileOf<typeof FD_TYPE.REG>;

/**
 * A file made by hand from a partial payload (tests, fixtures): the caller
 * vouches that the fields its code reads are there.
 */
export function fakeFile(id: number, type: number, payload: object, fds: FdEntry[] = []): FileDesc {
  return { id, type, payload, fds } as FileDesc;
}

/** One descriptor of one task (CRIU's fdinfo_list_entry). */
export interface FdEntry {
  /** The task whose table holds it (the table's owner for shared tables). */
  readonly task: Task;
  readonly fd: number;
  readonly file: FileDesc;
  /** fdinfo_entry.flags: descriptor flags, FD_CLOEXEC = 1. */
  readonly fdFlags: number;
}

/** One process of the dumped tree. */
export interface Task {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly threads: number[];
  /** task_core_entry.task_state (TASK_STATE), 0 when core is missing. */
  readonly state: number;
  readonly comm: string;
  /** ids.files_id; undefined for tasks without ids (zombies). */
  readonly filesId?: number;
  /** ids' namespace ids by kind (`net`, `pid`, `mnt`...), for namespace files. */
  readonly nsIds?: Readonly<Record<string, number>>;
  /**
   * The task that restores this task's fd table: itself, or its parent when
   * the child shares the parent's table (CLONE_FILES, equal files_id).
   */
  tableOwner?: Task;
  /** Fd entries, ascending by fd. Empty for non-owners and zombies. */
  readonly fds: FdEntry[];
  readonly children: Task[];
  parent?: Task;
  /** Paths of fs.cwd_id / fs.root_id, and fs.umask. */
  cwd?: string;
  /** fs.cwd_id: the REG file of the cwd (a ghost when it was deleted). */
  cwdId?: number;
  root?: string;
  umask?: number;
  /** The executable (mm.exe_file_id) and the argv/environment in memory. */
  exe?: string;
  argv?: string[];
  env?: string[];
  /** The argv area did not end with a NUL (see `ProcessArgs.argvCut`). */
  argvCut?: boolean;
}

/** Everything a restore or `show` needs from an image directory. */
export interface Checkpoint {
  readonly dir: string;
  /** Where the images are read from (a directory or an archive); absent in hand-made models. */
  readonly source?: ImageSource;
  /** Tasks in pstree order (parents before children). */
  readonly tasks: Task[];
  readonly root: Task;
  /** Files keyed by {@link fileKey} (legacy images may repeat ids across types). */
  readonly files: Map<FileKey, FileDesc>;
  /** Pipe data by pipe_id (pipes-data.img), FIFO data likewise. */
  readonly pipeData: Map<number, PipeData>;
  readonly fifoData: Map<number, PipeData>;
  /** Queued packets of unix sockets by receiving file id (sk-queues.img). */
  readonly socketQueues: Map<number, SocketPacket[]>;
  /** tty_info_entry by id (tty-info.img). */
  readonly ttyInfo: Map<number, TtyInfoEntry>;
  /** Queued bytes read from a terminal at dump time, by tty_info id (tty-data.img). */
  readonly ttyData?: Map<number, Uint8Array>;
  /** remap_file_path_entry by orig_id: files unlinked or renamed at dump time. */
  readonly remaps: Map<number, RemapFilePathEntry>;
  /** Locks held at dump time (filelocks.img, criu --file-locks). */
  readonly fileLocks?: readonly FileLockEntry[];
  /** memfd_inode_entry by inode_id (memfd.img). */
  readonly memfdInodes: Map<bigint, MemfdInodeEntry>;
}

export interface PipeData {
  readonly pipeId: number;
  /** Pipe capacity to set (F_SETPIPE_SZ), when the image has one. */
  readonly size?: number;
  readonly bytes: Uint8Array;
}

export interface SocketPacket {
  readonly idFor: number;
  readonly data: Uint8Array;
  /** File ids passed with SCM_RIGHTS in this packet. */
  readonly rights: number[];
}

/** The key of a file in {@link Checkpoint.files}: type and id in one exact number. */
export type FileKey = number;

/** The key of a file in {@link Checkpoint.files} (no string: 100,000 of them are built). */
export function fileKey(type: number, id: number): FileKey {
  return type * 0x1_0000_0000 + (id >>> 0);
}

const byIdCache = new WeakMap<Checkpoint, Map<number, FileDesc>>();

/** The file whose files.img id is `id`, whatever its type (SCM_RIGHTS name files by id). */
export function fileById(cp: Checkpoint, id: number): FileDesc | undefined {
  let map = byIdCache.get(cp);
  if (!map) {
    map = new Map();
    for (const f of cp.files.values()) if (!map.has(f.id)) map.set(f.id, f);
    byIdCache.set(cp, map);
  }
  return map.get(id);
}
