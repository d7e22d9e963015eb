/** Entries of the images that carry data for files (see types_task.ts for conventions). */
import type { TtyType } from "./types_files.ts";

/** pipes-data.img / fifo-data.img; `extra` is the queued data (`bytes` long). */
export interface PipeDataEntry {
  pipe_id: number;
  bytes: number;
  /** Pipe capacity to set. */
  size?: number;
  extra: Uint8Array;
}

export interface ScmEntry {
  /** SCM_RIGHTS = 1. */
  type: number;
  /** File ids. */
  rights?: number[];
}

/** sk-queues.img; `extra` is the packet (`length` bytes). */
export interface SkPacketEntry {
  id_for: number;
  length: number;
  scm?: ScmEntry[];
  extra: Uint8Array;
}

/** remap_type values. */
export const REMAP_TYPE = { LINKED: 0, GHOST: 1, PROCFS: 2 } as const;

export interface RemapFilePathEntry {
  orig_id: number;
  remap_id: number;
  remap_type?: number;
}

export interface Timeval {
  tv_sec: bigint;
  tv_usec: bigint;
}

/**
 * ghost-file-<id>.img, first entry. Without `chunks`, `extra` is the whole
 * content; with `chunks`, {@link GhostChunkEntry}s follow.
 */
export interface GhostFileEntry {
  uid: number;
  gid: number;
  mode: number;
  dev?: number;
  ino?: bigint;
  rdev?: number;
  atim?: Timeval;
  mtim?: Timeval;
  chunks?: boolean;
  size?: bigint;
  symlnk_target?: string;
  extra?: Uint8Array;
}

/** `len` bytes of content at `off`, in `extra`. */
export interface GhostChunkEntry {
  len: bigint;
  off: bigint;
  extra: Uint8Array;
}

export interface TermiosEntry {
  c_iflag: number;
  c_oflag: number;
  c_cflag: number;
  c_lflag: number;
  c_line: number;
  c_ispeed: number;
  c_ospeed: number;
  c_cc?: number[];
}

export interface WinsizeEntry {
  ws_row: number;
  ws_col: number;
  ws_xpixel: number;
  ws_ypixel: number;
}

export interface TtyInfoEntry {
  id: number;
  type: TtyType;
  locked: boolean;
  exclusive: boolean;
  packet_mode: boolean;
  sid: number;
  pgrp: number;
  rdev: number;
  termios?: TermiosEntry;
  termios_locked?: TermiosEntry;
  winsize?: WinsizeEntry;
  pty?: { index: number };
  dev?: number;
  uid?: number;
  gid?: number;
}

export interface TtyDataEntry {
  tty_id: number;
  data: Uint8Array;
}

/** memfd.img: one per memfd inode; the content is in the shmem pagemap/pages. */
export interface MemfdInodeEntry {
  name: string;
  uid: number;
  gid: number;
  size: bigint;
  shmid: number;
  seals: number;
  inode_id: bigint;
  hugetlb_flag?: number;
  mode?: number;
}

/** file_lock_entry.flag values (criu's FL_*). */
export const FILE_LOCK_FLAG = { POSIX: 1, FLOCK: 2, OFD: 4, LEASE: 8 } as const;

/** filelocks.img: one lock held at dump time, by the task `pid` on its fd `fd`. */
export interface FileLockEntry {
  flag: number;
  /** F_RDLCK 0, F_WRLCK 1, F_UNLCK 2. */
  type: number;
  pid: number;
  fd: number;
  start: bigint;
  /** 0: to the end of the file. */
  len: bigint;
}
