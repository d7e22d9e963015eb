/** Entries of fdinfo-<id>.img and files.img (see types_task.ts for conventions). */

/** fd_types: the type tag of fdinfo and file entries. */
export const FD_TYPE = {
  UND: 0,
  REG: 1,
  PIPE: 2,
  FIFO: 3,
  INETSK: 4,
  UNIXSK: 5,
  EVENTFD: 6,
  EVENTPOLL: 7,
  INOTIFY: 8,
  SIGNALFD: 9,
  PACKETSK: 10,
  TTY: 11,
  FANOTIFY: 12,
  NETLINKSK: 13,
  NS: 14,
  TUNF: 15,
  EXT: 16,
  TIMERFD: 17,
  MEMFD: 18,
  BPFMAP: 19,
  PIDFD: 20,
} as const;

export type FdType = number;

/** TtyType of tty_info_entry: 0 unknown, 1 pty, 2 console, 3 vt, 4 ctty, 5 ext, 6 serial. */
export type TtyType = number;

export interface FdinfoEntry {
  /** File id in files.img. */
  id: number;
  /** Descriptor flags: FD_CLOEXEC = 1. */
  flags: number;
  type: FdType;
  fd: number;
  xattr_security_selinux?: string;
}

export interface FownEntry {
  uid: number;
  euid: number;
  signum: number;
  /** 0 thread, 1 process, 2 process group. */
  pid_type: number;
  /** 0 = no owner. */
  pid: number;
}

export interface RegFileEntry {
  id: number;
  flags: number;
  pos: bigint;
  fown: FownEntry;
  name: string;
  /** Default -1 (applied by the readers). */
  mnt_id: number;
  size?: bigint;
  ext?: boolean;
  mode?: number;
  build_id?: number[];
  checksum?: number;
  checksum_config?: number;
  checksum_parameter?: number;
}

export interface PipeEntry {
  id: number;
  /** pipefs inode number. */
  pipe_id: number;
  flags: number;
  fown: FownEntry;
}

export interface FifoEntry {
  id: number;
  pipe_id: number;
  /** REG entry with the path; absent = same id as the fifo. */
  regf_id?: number;
}

export interface SkOptsEntry {
  so_sndbuf: number;
  so_rcvbuf: number;
  so_snd_tmo_sec: bigint;
  so_snd_tmo_usec: bigint;
  so_rcv_tmo_sec: bigint;
  so_rcv_tmo_usec: bigint;
  reuseaddr?: boolean;
  so_priority?: number;
  so_rcvlowat?: number;
  so_mark?: number;
  so_passcred?: boolean;
  so_passsec?: boolean;
  so_dontroute?: boolean;
  so_no_check?: boolean;
  so_bound_dev?: string;
  so_filter?: bigint[];
  so_reuseport?: boolean;
  so_broadcast?: boolean;
  so_keepalive?: boolean;
  tcp_keepcnt?: number;
  tcp_keepidle?: number;
  tcp_keepintvl?: number;
  so_oobinline?: number;
  so_linger?: number;
  so_buf_lock?: number;
}

export interface UnixSkEntry {
  id: number;
  ino: number;
  /** 1 stream, 2 dgram, 5 seqpacket. */
  type: number;
  /** 1 established, 7 close, 10 listen. */
  state: number;
  flags: number;
  /** Bit 0 external peer, 1 CRIU service, 2 plugin, 3 inherited. */
  uflags: number;
  backlog: number;
  /** Peer's ino, 0 = none. */
  peer: number;
  fown: FownEntry;
  opts: SkOptsEntry;
  /** May hold NULs; abstract names start with one. */
  name: Uint8Array;
  /** 0 none, 1 read, 2 write, 3 both. */
  shutdown?: number;
  file_perms?: { mode: number; uid: number; gid: number };
  name_dir?: string;
  deleted?: boolean;
  ns_id?: number;
  /** Default -1 (applied by the readers). */
  mnt_id: number;
}

export interface InetSkEntry {
  id: number;
  ino: number;
  family: number;
  type: number;
  proto: number;
  state: number;
  src_port: number;
  dst_port: number;
  flags: number;
  backlog: number;
  /** Network-order words: one for IPv4, four for IPv6. */
  src_addr?: number[];
  dst_addr?: number[];
  fown: FownEntry;
  opts: SkOptsEntry;
  v6only?: boolean;
  ip_opts?: Record<string, unknown>;
  ifname?: string;
  ns_id?: number;
  shutdown?: number;
  tcp_opts?: Record<string, unknown>;
}

export interface NetlinkSkEntry {
  id: number;
  ino: number;
  /** NETLINK_ROUTE 0, NETLINK_KOBJECT_UEVENT 15, ... */
  protocol: number;
  /** 1 connected; anything else (0, 7) not. */
  state: number;
  flags: number;
  /** 0: never bound. */
  portid: number;
  /** Multicast groups as 32-bit bitmask words, lowest groups first. */
  groups?: number[];
  dst_portid: number;
  /** Group number (1-based) the socket sends to, 0 none. */
  dst_group: number;
  fown: FownEntry;
  opts: SkOptsEntry;
  ns_id?: number;
}

export interface PacketMclist {
  index: number;
  /** PACKET_MR_MULTICAST 0, _PROMISC 1, _ALLMULTI 2, _UNICAST 3. */
  type: number;
  addr: Uint8Array;
}

export interface PacketRing {
  block_size: number;
  block_nr: number;
  frame_size: number;
  frame_nr: number;
  retire_tmo: number;
  sizeof_priv: number;
  features: number;
}

export interface PacketSockEntry {
  id: number;
  /** 2 dgram, 3 raw, 10 the obsolete SOCK_PACKET. */
  type: number;
  /** Ethernet protocol in network byte order, as socket() takes it. */
  protocol: number;
  flags: number;
  /** Bound interface, 0 all. */
  ifindex: number;
  fown: FownEntry;
  opts: SkOptsEntry;
  /** TPACKET_V1 0, V2 1, V3 2. */
  version: number;
  reserve: number;
  aux_data: boolean;
  orig_dev: boolean;
  vnet_hdr: boolean;
  loss: boolean;
  timestamp: number;
  copy_thresh: number;
  mclist?: PacketMclist[];
  /** PACKET_FANOUT's value (group id | mode << 16); 0xffffffff none. */
  fanout?: number;
  rx_ring?: PacketRing;
  tx_ring?: PacketRing;
  ns_id?: number;
}

export interface EventfdFileEntry {
  id: number;
  flags: number;
  fown: FownEntry;
  counter: bigint;
}

export interface SignalfdEntry {
  id: number;
  flags: number;
  fown: FownEntry;
  /** Bit n-1 set = signal n. */
  sigmask: bigint;
}

export interface TimerfdEntry {
  id: number;
  flags: number;
  fown: FownEntry;
  clockid: number;
  ticks: bigint;
  settime_flags: number;
  vsec: bigint;
  vnsec: bigint;
  isec: bigint;
  insec: bigint;
}

export interface EventpollTfdEntry {
  /** Target file id. */
  id: number;
  /** Target fd number in the same task. */
  tfd: number;
  events: number;
  data: bigint;
  dev?: number;
  inode?: bigint;
  pos?: bigint;
}

export interface EventpollFileEntry {
  id: number;
  flags: number;
  fown: FownEntry;
  tfd?: EventpollTfdEntry[];
}

export interface InotifyWdEntry {
  id: number;
  i_ino: bigint;
  mask: number;
  ignored_mask: number;
  s_dev: number;
  wd: number;
  f_handle: { bytes: number; type: number; handle?: bigint[]; path?: string; mnt_id?: number };
}

export interface InotifyFileEntry {
  id: number;
  flags: number;
  fown: FownEntry;
  wd?: InotifyWdEntry[];
}

export interface TtyFileEntry {
  id: number;
  tty_info_id: number;
  flags: number;
  fown: FownEntry;
  /** REG entry with the device path. */
  regf_id?: number;
}

export interface MemfdFileEntry {
  id: number;
  flags: number;
  pos: bigint;
  fown: FownEntry;
  inode_id: number;
}

/** One file of files.img: `type` says which payload is set. */
export interface FileEntry {
  type: FdType;
  id: number;
  reg?: RegFileEntry;
  isk?: InetSkEntry;
  nsf?: Record<string, unknown>;
  psk?: PacketSockEntry;
  nlsk?: NetlinkSkEntry;
  efd?: EventfdFileEntry;
  epfd?: EventpollFileEntry;
  sgfd?: SignalfdEntry;
  tunf?: Record<string, unknown>;
  tfd?: TimerfdEntry;
  ify?: InotifyFileEntry;
  ffy?: Record<string, unknown>;
  ext?: { id: number; fown: FownEntry };
  usk?: UnixSkEntry;
  fifo?: FifoEntry;
  pipe?: PipeEntry;
  tty?: TtyFileEntry;
  memfd?: MemfdFileEntry;
  bpf?: Record<string, unknown>;
  pidfd?: Record<string, unknown>;
}
