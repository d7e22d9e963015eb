/**
 * The one table of images: a row per image CRIU 4.x writes, by crit's name,
 * with its magic, its head word, the file names fdrestore reads it by, its
 * entry message, layout and raw payloads. Every other view (magic names,
 * head words, decoding kinds, readers and their entry types, the test image
 * writer) is derived from it. Knowing every magic lets us name an image we do
 * not decode instead of calling it garbage.
 */
import type { Messages } from "./entry_types.ts";

/** The head word of ordinary images (format v1.1). */
export const HEAD_MAGIC_COMMON = 0x54564319;
/** The head word of service files: stats-*, irmap-cache. */
export const HEAD_MAGIC_SERVICE = 0x55105940;

/** One image. */
export interface ImageRow {
  /** The image magic, the word after the head word. */
  readonly magic: number;
  /**
   * The head word: {@link HEAD_MAGIC_COMMON} unless "service"
   * ({@link HEAD_MAGIC_SERVICE}) or "none" (written without one: inventory).
   */
  readonly head?: "none" | "service";
  /**
   * The files the readers open, `name` or `name-%d` / `name-%x` for one per
   * id (in decimal / hex); the reader's name is `name`. Only images fdrestore
   * reads by name have them.
   */
  readonly files?: readonly string[];
  /** Message of every entry (of the first one for the pagemap and ghost layouts). */
  readonly message?: keyof Messages;
  /**
   * "pagemap": a pagemap_head, then pagemap_entry's.
   * "ghost": a ghost_file_entry, then the content or ghost_chunk_entry's.
   */
  readonly layout?: "pagemap" | "ghost";
  /** Fields holding the sizes of raw payloads that follow each entry. */
  readonly extra?: readonly string[];
}

/**
 * Every image by crit's name (its "magic"). Aliases of a magic (SHMEM_PAGEMAP)
 * are left out, like crit: their files are listed under the magic they share.
 * Rows without `message` are images we can name but not decode.
 */
export const IMAGES = {
  INVENTORY: { magic: 0x58313116, head: "none", files: ["inventory"], message: "inventory_entry" },
  PSTREE: { magic: 0x50273030, files: ["pstree"], message: "pstree_entry" },
  FDINFO: { magic: 0x56213732, files: ["fdinfo-%d"], message: "fdinfo_entry" },
  PAGEMAP: {
    magic: 0x56084025,
    files: ["pagemap-%d", "pagemap-shmem-%d"],
    message: "pagemap_head",
    layout: "pagemap",
  },
  CORE: { magic: 0x55053847, files: ["core-%d"], message: "core_entry" },
  IDS: { magic: 0x54432030, files: ["ids-%d"], message: "task_kobj_ids_entry" },
  VMAS: { magic: 0x54123737, message: "vma_entry" },
  PIPES: { magic: 0x56513555, files: ["pipes"], message: "pipe_entry" },
  PIPES_DATA: {
    magic: 0x56453709,
    files: ["pipes-data"],
    message: "pipe_data_entry",
    extra: ["bytes"],
  },
  FIFO: { magic: 0x58364939, files: ["fifo"], message: "fifo_entry" },
  FIFO_DATA: {
    magic: 0x59333054,
    files: ["fifo-data"],
    message: "pipe_data_entry",
    extra: ["bytes"],
  },
  SIGACT: { magic: 0x55344201, message: "sa_entry" },
  UNIXSK: { magic: 0x54373943, files: ["unixsk"], message: "unix_sk_entry" },
  INETSK: { magic: 0x56443851, files: ["inetsk"], message: "inet_sk_entry" },
  PACKETSK: { magic: 0x60454618, message: "packet_sock_entry" },
  ITIMERS: { magic: 0x57464056, message: "itimer_entry" },
  POSIX_TIMERS: { magic: 0x52603957, message: "posix_timer_entry" },
  SK_QUEUES: {
    magic: 0x56264026,
    files: ["sk-queues"],
    message: "sk_packet_entry",
    extra: ["length"],
  },
  UTSNS: { magic: 0x54473203 },
  CREDS: { magic: 0x54023547, message: "creds_entry" },
  IPC_VAR: { magic: 0x53115007 },
  IPCNS_SHM: { magic: 0x46283044 },
  IPCNS_MSG: { magic: 0x55453737 },
  IPCNS_SEM: { magic: 0x59573019 },
  REG_FILES: { magic: 0x50363636, files: ["reg-files"], message: "reg_file_entry" },
  EXT_FILES: { magic: 0x59255641, message: "ext_file_entry" },
  FS: { magic: 0x51403912, files: ["fs-%d"], message: "fs_entry" },
  MM: { magic: 0x57492820, files: ["mm-%d"], message: "mm_entry" },
  REMAP_FPATH: { magic: 0x59133954, files: ["remap-fpath"], message: "remap_file_path_entry" },
  GHOST_FILE: {
    magic: 0x52583605,
    files: ["ghost-file-%x"],
    message: "ghost_file_entry",
    layout: "ghost",
  },
  TCP_STREAM: {
    magic: 0x51465506,
    message: "tcp_stream_entry",
    extra: ["inq_len", "outq_len"],
  },
  EVENTFD_FILE: { magic: 0x44523722, files: ["eventfd"], message: "eventfd_file_entry" },
  EVENTPOLL_FILE: { magic: 0x45023858, files: ["eventpoll"], message: "eventpoll_file_entry" },
  EVENTPOLL_TFD: { magic: 0x44433746, files: ["eventpoll-tfd"], message: "eventpoll_tfd_entry" },
  SIGNALFD: { magic: 0x57323820, files: ["signalfd"], message: "signalfd_entry" },
  INOTIFY_FILE: { magic: 0x48424431, files: ["inotify"], message: "inotify_file_entry" },
  INOTIFY_WD: { magic: 0x54562009, message: "inotify_wd_entry" },
  MNTS: { magic: 0x55563928 },
  NETDEV: { magic: 0x57373951 },
  NETNS: { magic: 0x55933752 },
  TTY_FILES: { magic: 0x59433025, files: ["tty"], message: "tty_file_entry" },
  TTY_INFO: { magic: 0x59453036, files: ["tty-info"], message: "tty_info_entry" },
  TTY_DATA: { magic: 0x59413026, files: ["tty-data"], message: "tty_data_entry" },
  FILE_LOCKS: { magic: 0x54323616, files: ["filelocks"], message: "file_lock_entry" },
  RLIMIT: { magic: 0x57113925, message: "rlimit_entry" },
  FANOTIFY_FILE: { magic: 0x55096122, message: "fanotify_file_entry" },
  FANOTIFY_MARK: { magic: 0x56506035, message: "fanotify_mark_entry" },
  SIGNAL: { magic: 0x59255647 },
  NETLINK_SK: { magic: 0x58005614, message: "netlink_sk_entry" },
  NS_FILES: { magic: 0x61394011, message: "ns_file_entry" },
  TUNFILE: { magic: 0x57143751, message: "tunfile_entry" },
  CGROUP: { magic: 0x59383330 },
  TIMERFD: { magic: 0x50493712, files: ["timerfd"], message: "timerfd_entry" },
  CPUINFO: { magic: 0x61404013 },
  USERNS: { magic: 0x55474906 },
  SECCOMP: { magic: 0x64413049, message: "seccomp_entry" },
  BINFMT_MISC: { magic: 0x67343323 },
  AUTOFS: { magic: 0x49353943 },
  FILES: { magic: 0x56303138, files: ["files"], message: "file_entry" },
  MEMFD_INODE: { magic: 0x48453499, files: ["memfd"], message: "memfd_inode_entry" },
  TIMENS: { magic: 0x43114433, message: "timens_entry" },
  PIDNS: { magic: 0x61157326 },
  BPFMAP_FILE: { magic: 0x57506142, message: "bpfmap_file_entry" },
  BPFMAP_DATA: { magic: 0x64324033 },
  APPARMOR: { magic: 0x59423047 },
  PIDFD: { magic: 0x54435556 },
  STATS: { magic: 0x57093306, head: "service", message: "stats_entry" },
  IRMAP_CACHE: { magic: 0x57004059, head: "service", message: "irmap_cache_entry" },
  KDAT: { magic: 0x57023458 },
} as const satisfies Readonly<Record<string, ImageRow>>;

/** crit's name of an image ("FILES", "PIPES_DATA"...). */
export type CritName = keyof typeof IMAGES;

const rowOf = (name: string): ImageRow | undefined =>
  Object.hasOwn(IMAGES, name) ? (IMAGES as Record<string, ImageRow>)[name] : undefined;

const byValue = new Map(Object.entries(IMAGES).map(([name, row]) => [row.magic as number, name]));

/** The image name of a magic value, or undefined. */
export function magicName(value: number): string | undefined {
  return byValue.get(value);
}

/** The magic of a named image, or undefined. */
export function magicOf(name: string): number | undefined {
  return rowOf(name)?.magic;
}

/** The head word an image of this name starts with when it has one (v1.1 format). */
export function headMagicOf(name: string): number {
  return rowOf(name)?.head === "service" ? HEAD_MAGIC_SERVICE : HEAD_MAGIC_COMMON;
}

/** False for the images CRIU writes without a head word (inventory). */
export function hasHeadWord(name: string): boolean {
  return rowOf(name)?.head !== "none";
}

/** How to decode the entries of an image (a row with a message). */
export interface ImageKind {
  /** crit's name, e.g. "FILES". */
  readonly name: string;
  readonly message: keyof Messages;
  readonly layout: "entries" | "pagemap" | "ghost";
  readonly extra?: readonly string[];
}

const kinds = new Map<string, ImageKind>();
for (const [name, row] of Object.entries(IMAGES) as [string, ImageRow][]) {
  if (row.message === undefined) continue;
  kinds.set(name, {
    name,
    message: row.message,
    layout: row.layout ?? "entries",
    extra: row.extra,
  });
}

/** The kind of a named image, or undefined when we know its name only. */
export function imageKind(name: string): ImageKind | undefined {
  return kinds.get(name);
}
