/**
 * Numeric constants of x86_64 Linux glibc used by `src/sys/` and its callers.
 *
 * @module
 */

/** open(2) flags (octal, as in the kernel headers). */
export const O = {
  RDONLY: 0,
  WRONLY: 0o1,
  RDWR: 0o2,
  ACCMODE: 0o3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  ASYNC: 0o20000,
  DIRECT: 0o40000,
  LARGEFILE: 0o100000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  NOATIME: 0o1000000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
  TMPFILE: 0o20200000,
} as const;

/** fcntl(2) commands and values. */
export const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  SETOWN: 8,
  GETOWN: 9,
  SETSIG: 10,
  GETSIG: 11,
  SETOWN_EX: 15,
  GETOWN_EX: 16,
  DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
  ADD_SEALS: 1033,
  GET_SEALS: 1034,
  OWNER_TID: 0,
  OWNER_PID: 1,
  OWNER_PGRP: 2,
} as const;

/** The only fd flag. */
export const FD_CLOEXEC = 1;

export const AT_FDCWD = -100;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;

export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;

/** File types in st_mode (`mode & S_IF.MT`). */
export const S_IF = {
  MT: 0o170000,
  SOCK: 0o140000,
  LNK: 0o120000,
  REG: 0o100000,
  BLK: 0o060000,
  DIR: 0o040000,
  CHR: 0o020000,
  FIFO: 0o010000,
} as const;

export const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const;

export const SOCK = {
  STREAM: 1,
  DGRAM: 2,
  RAW: 3,
  SEQPACKET: 5,
  /** The obsolete link-level type of AF_PACKET, bound by interface name. */
  PACKET: 10,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
} as const;

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const SO = {
  REUSEADDR: 2,
  TYPE: 3,
  ERROR: 4,
  DONTROUTE: 5,
  BROADCAST: 6,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  OOBINLINE: 10,
  NO_CHECK: 11,
  PRIORITY: 12,
  LINGER: 13,
  REUSEPORT: 15,
  PASSCRED: 16,
  RCVLOWAT: 18,
  RCVTIMEO_OLD: 20,
  SNDTIMEO_OLD: 21,
  BINDTODEVICE: 25,
  ATTACH_FILTER: 26,
  SNDBUFFORCE: 32,
  RCVBUFFORCE: 33,
  PASSSEC: 34,
  MARK: 36,
  PROTOCOL: 38,
  PEEK_OFF: 42,
  BUF_LOCK: 72,
} as const;
/** Protocol levels and numbers (IPPROTO_*, SOL_TCP = IPPROTO_TCP). */
export const IPPROTO = { IP: 0, TCP: 6, UDP: 17, IPV6: 41, UDPLITE: 136 } as const;
export const IP_TTL = 2;
/** Bind to an address this host does not have (yet). */
export const IP_FREEBIND = 15;
export const IPV6_V6ONLY = 26;
export const IPV6_FREEBIND = 78;
export const TCP = { NODELAY: 1, CORK: 3, KEEPIDLE: 4, KEEPINTVL: 5, KEEPCNT: 6 } as const;
export const SHUT = { RD: 0, WR: 1, RDWR: 2 } as const;
/** Option level of AF_PACKET sockets and its options (linux/if_packet.h). */
export const SOL_PACKET = 263;
export const PACKET = {
  ADD_MEMBERSHIP: 1,
  RX_RING: 5,
  COPY_THRESH: 7,
  AUXDATA: 8,
  ORIGDEV: 9,
  VERSION: 10,
  RESERVE: 12,
  TX_RING: 13,
  LOSS: 14,
  VNET_HDR: 15,
  TIMESTAMP: 17,
  FANOUT: 18,
} as const;

/** Option names by level and number, as a failed setsockopt/getsockopt names them. */
const SOCKOPT_NAMES: ReadonlyMap<string, string> = new Map(
  ([
    [SOL_SOCKET, "SO_", SO],
    [IPPROTO.TCP, "TCP_", TCP],
    [IPPROTO.IP, "", { IP_TTL }],
    [IPPROTO.IPV6, "", { IPV6_V6ONLY }],
    [SOL_PACKET, "PACKET_", PACKET],
  ] as const).flatMap(([level, prefix, names]) =>
    Object.entries(names).map(([key, n]) => [`${level}:${n}`, prefix + key] as const)
  ),
);

/** "SO_SNDBUFFORCE" for (SOL_SOCKET, 32); "option N" for one not in the tables. */
export function sockoptName(level: number, name: number): string {
  return SOCKOPT_NAMES.get(`${level}:${name}`) ?? `option ${name}`;
}

export const MSG = {
  CTRUNC: 0x8,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  NOSIGNAL: 0x4000,
  CMSG_CLOEXEC: 0x40000000,
} as const;

/** Linux SCM_MAX_FD: the most fds one SCM_RIGHTS message may carry. */
export const SCM_MAX_FD = 253;

export const EFD = { SEMAPHORE: 1, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;
export const SFD = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;
export const TFD = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000, TIMER_ABSTIME: 1 } as const;
export const CLOCK = { REALTIME: 0, MONOTONIC: 1, BOOTTIME: 7 } as const;
export const EPOLL = { CLOEXEC: 0o2000000, CTL_ADD: 1, CTL_DEL: 2, CTL_MOD: 3 } as const;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const IN = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000, ALL_EVENTS: 0xfff } as const;
/** _IOW('T', 0, __u64): set a timerfd's expiry count (CONFIG_CHECKPOINT_RESTORE). */
export const TFD_IOC_SET_TICKS = 0x40085400;
/** _IOW('I', 0, __s32): the wd the next inotify_add_watch gets (CONFIG_CHECKPOINT_RESTORE). */
export const INOTIFY_IOC_SETNEXTWD = 0x40044900;
export const MFD = { CLOEXEC: 1, ALLOW_SEALING: 2 } as const;
export const CLOSE_RANGE = { UNSHARE: 2, CLOEXEC: 4 } as const;

export const POSIX_SPAWN = {
  RESETIDS: 0x1,
  SETPGROUP: 0x2,
  SETSIGDEF: 0x4,
  SETSIGMASK: 0x8,
  SETSID: 0x80,
} as const;

export const WNOHANG = 1;
export const RLIMIT_NOFILE = 7;
export const SIG = { HUP: 1, INT: 2, KILL: 9, USR1: 10, PIPE: 13, TERM: 15, CHLD: 17 } as const;
