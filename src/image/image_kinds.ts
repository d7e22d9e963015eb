/**
 * What each image holds, by crit's image name: the entry message, special
 * layouts, and which fields give the size of raw bytes after each entry.
 */

export interface ImageKind {
  /** crit's name, e.g. "FILES". */
  readonly name: string;
  /** Message of every entry (of the first one for pagemap and ghost-file). */
  readonly message: string;
  /**
   * "pagemap": a pagemap_head, then pagemap_entry's.
   * "ghost": a ghost_file_entry, then the content or ghost_chunk_entry's.
   */
  readonly layout: "entries" | "pagemap" | "ghost";
  /** Fields holding the sizes of raw payloads that follow each entry. */
  readonly extra?: readonly string[];
}

const plain = (message: string, extra?: readonly string[]) => ({ message, extra });

const TABLE: Record<
  string,
  { message: string; extra?: readonly string[]; layout?: "pagemap" | "ghost" }
> = {
  INVENTORY: plain("inventory_entry"),
  PSTREE: plain("pstree_entry"),
  CORE: plain("core_entry"),
  IDS: plain("task_kobj_ids_entry"),
  CREDS: plain("creds_entry"),
  TIMENS: plain("timens_entry"),
  FS: plain("fs_entry"),
  MM: plain("mm_entry"),
  VMAS: plain("vma_entry"),
  PAGEMAP: { message: "pagemap_head", layout: "pagemap" },
  GHOST_FILE: { message: "ghost_file_entry", layout: "ghost" },
  STATS: plain("stats_entry"),
  SIGACT: plain("sa_entry"),
  RLIMIT: plain("rlimit_entry"),
  ITIMERS: plain("itimer_entry"),
  POSIX_TIMERS: plain("posix_timer_entry"),
  SECCOMP: plain("seccomp_entry"),
  FDINFO: plain("fdinfo_entry"),
  FILES: plain("file_entry"),
  PIPES_DATA: plain("pipe_data_entry", ["bytes"]),
  FIFO_DATA: plain("pipe_data_entry", ["bytes"]),
  SK_QUEUES: plain("sk_packet_entry", ["length"]),
  TCP_STREAM: plain("tcp_stream_entry", ["inq_len", "outq_len"]),
  REMAP_FPATH: plain("remap_file_path_entry"),
  TTY_INFO: plain("tty_info_entry"),
  TTY_DATA: plain("tty_data_entry"),
  MEMFD_INODE: plain("memfd_inode_entry"),
  IRMAP_CACHE: plain("irmap_cache_entry"),
  FILE_LOCKS: plain("file_lock_entry"),
  // Per-type images older CRIUs wrote before files.img existed.
  REG_FILES: plain("reg_file_entry"),
  PIPES: plain("pipe_entry"),
  FIFO: plain("fifo_entry"),
  UNIXSK: plain("unix_sk_entry"),
  INETSK: plain("inet_sk_entry"),
  PACKETSK: plain("packet_sock_entry"),
  NETLINK_SK: plain("netlink_sk_entry"),
  NS_FILES: plain("ns_file_entry"),
  EVENTFD_FILE: plain("eventfd_file_entry"),
  EVENTPOLL_FILE: plain("eventpoll_file_entry"),
  EVENTPOLL_TFD: plain("eventpoll_tfd_entry"),
  SIGNALFD: plain("signalfd_entry"),
  TIMERFD: plain("timerfd_entry"),
  INOTIFY_FILE: plain("inotify_file_entry"),
  INOTIFY_WD: plain("inotify_wd_entry"),
  FANOTIFY_FILE: plain("fanotify_file_entry"),
  FANOTIFY_MARK: plain("fanotify_mark_entry"),
  TUNFILE: plain("tunfile_entry"),
  EXT_FILES: plain("ext_file_entry"),
  TTY_FILES: plain("tty_file_entry"),
  BPFMAP_FILE: plain("bpfmap_file_entry"),
};

/** The kind of a named image, or undefined when we know its name only. */
export function imageKind(name: string): ImageKind | undefined {
  const k = TABLE[name];
  return k && { name, message: k.message, layout: k.layout ?? "entries", extra: k.extra };
}
