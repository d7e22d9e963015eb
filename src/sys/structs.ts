/**
 * C struct layouts for x86_64 Linux glibc, built by hand with little-endian
 * DataViews. The only place that knows sizes and offsets; `structs_test.ts`
 * compares them with `sizeof`/`offsetof` from gcc.
 *
 * Buffers handed to C are always `new Uint8Array(new ArrayBuffer(n))` (see
 * deno-notes), and callers keep a reference until the call returns.
 *
 * @module
 */

/** Sizes in bytes. */
export const SIZEOF = {
  stat: 144,
  f_owner_ex: 8,
  iovec: 16,
  msghdr: 56,
  cmsghdr: 16,
  sockaddr_un: 110,
  sockaddr_in: 16,
  sockaddr_in6: 28,
  itimerspec: 32,
  epoll_event: 12,
  rlimit: 16,
  posix_spawn_file_actions_t: 80,
  posix_spawnattr_t: 336,
  sigset_t: 128,
  sigaction: 152,
  flock: 32,
} as const;

/** Field offsets that the code relies on. */
export const OFFSETOF = {
  stat: { st_dev: 0, st_ino: 8, st_mode: 24, st_uid: 28, st_gid: 32, st_rdev: 40, st_size: 48 },
  msghdr: {
    msg_name: 0,
    msg_namelen: 8,
    msg_iov: 16,
    msg_iovlen: 24,
    msg_control: 32,
    msg_controllen: 40,
    msg_flags: 48,
  },
  cmsghdr: { cmsg_len: 0, cmsg_level: 8, cmsg_type: 12 },
  sockaddr_in6: { sin6_port: 2, sin6_flowinfo: 4, sin6_addr: 8, sin6_scope_id: 24 },
  epoll_event: { events: 0, data: 4 },
  sigaction: { sa_handler: 0 },
  flock: { l_type: 0, l_whence: 2, l_start: 8, l_len: 16, l_pid: 24 },
} as const;

/** A zeroed buffer that C may write into. */
export function alloc(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(n));
}

/** A little-endian view of a buffer. */
export function view(buf: Uint8Array<ArrayBuffer>): DataView<ArrayBuffer> {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

const encoder = new TextEncoder();

/** A NUL-terminated copy of `s` (UTF-8). */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(s);
  if (bytes.includes(0)) throw new TypeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
  const buf = alloc(bytes.length + 1);
  buf.set(bytes);
  return buf;
}

let scratch = alloc(4096);

/**
 * Like {@link cstr}, in one buffer that every call reuses: for a call that
 * takes one path and keeps nothing (open, openat). A restore opens thousands
 * of paths; a new ArrayBuffer each time costs an allocation and, counted as
 * external memory, makes the collector run sooner.
 */
export function cstrTemp(s: string): Uint8Array<ArrayBuffer> {
  if (s.includes("\0")) throw new TypeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
  if (s.length * 3 + 1 > scratch.length) scratch = alloc(s.length * 3 + 1);
  const { written } = encoder.encodeInto(s, scratch);
  scratch[written] = 0;
  return scratch;
}

/** A buffer's address, for storing into another struct (keep `buf` alive!). */
export function addressOf(buf: Uint8Array<ArrayBuffer>): bigint {
  if (buf.byteLength === 0) return 0n;
  return Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf));
}

/** What fdrestore reads from `struct stat`. */
export interface Stat {
  dev: bigint;
  ino: bigint;
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
}

export function decodeStat(buf: Uint8Array<ArrayBuffer>): Stat {
  const v = view(buf);
  const o = OFFSETOF.stat;
  return {
    dev: v.getBigUint64(o.st_dev, true),
    ino: v.getBigUint64(o.st_ino, true),
    mode: v.getUint32(o.st_mode, true),
    uid: v.getUint32(o.st_uid, true),
    gid: v.getUint32(o.st_gid, true),
    rdev: v.getBigUint64(o.st_rdev, true),
    size: v.getBigInt64(o.st_size, true),
  };
}

/** `struct f_owner_ex`: type is F_OWNER_TID 0, F_OWNER_PID 1 or F_OWNER_PGRP 2. */
export interface OwnerEx {
  type: number;
  pid: number;
}

export function encodeOwnerEx(o: OwnerEx): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.f_owner_ex);
  const v = view(buf);
  v.setInt32(0, o.type, true);
  v.setInt32(4, o.pid, true);
  return buf;
}

/** `struct flock` (fcntl record locks): from SEEK_SET; `len` 0 reaches past the end. */
export interface RecordLock {
  /** F_RDLCK 0, F_WRLCK 1, F_UNLCK 2. */
  type: number;
  start: bigint;
  len: bigint;
  /** Filled by F_GETLK (-1 for an OFD lock); 0 when setting. */
  pid?: number;
}

export function encodeFlock(l: RecordLock): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.flock);
  const v = view(buf);
  const o = OFFSETOF.flock;
  v.setInt16(o.l_type, l.type, true);
  v.setInt16(o.l_whence, 0, true);
  v.setBigInt64(o.l_start, l.start, true);
  v.setBigInt64(o.l_len, l.len, true);
  v.setInt32(o.l_pid, l.pid ?? 0, true);
  return buf;
}

export function decodeFlock(buf: Uint8Array<ArrayBuffer>): RecordLock {
  const v = view(buf);
  const o = OFFSETOF.flock;
  return {
    type: v.getInt16(o.l_type, true),
    start: v.getBigInt64(o.l_start, true),
    len: v.getBigInt64(o.l_len, true),
    pid: v.getInt32(o.l_pid, true),
  };
}

export function decodeOwnerEx(buf: Uint8Array<ArrayBuffer>): OwnerEx {
  const v = view(buf);
  return { type: v.getInt32(0, true), pid: v.getInt32(4, true) };
}

/** Writes one `struct iovec` at `off`. */
export function setIovec(v: DataView, off: number, base: bigint, len: number): void {
  v.setBigUint64(off, base, true);
  v.setBigUint64(off + 8, BigInt(len), true);
}

/** Pointers and lengths of a `struct msghdr`. */
export interface MsgHdr {
  name?: Uint8Array<ArrayBuffer>;
  iov: Uint8Array<ArrayBuffer>;
  iovlen: number;
  control?: Uint8Array<ArrayBuffer>;
}

export function encodeMsghdr(m: MsgHdr): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.msghdr);
  const v = view(buf);
  const o = OFFSETOF.msghdr;
  if (m.name) {
    v.setBigUint64(o.msg_name, addressOf(m.name), true);
    v.setUint32(o.msg_namelen, m.name.byteLength, true);
  }
  v.setBigUint64(o.msg_iov, addressOf(m.iov), true);
  v.setBigUint64(o.msg_iovlen, BigInt(m.iovlen), true);
  if (m.control && m.control.byteLength > 0) {
    v.setBigUint64(o.msg_control, addressOf(m.control), true);
    v.setBigUint64(o.msg_controllen, BigInt(m.control.byteLength), true);
  }
  return buf;
}

/** `msg_controllen` and `msg_flags` after recvmsg. */
export function decodeMsghdrResult(buf: Uint8Array<ArrayBuffer>): {
  controllen: number;
  flags: number;
} {
  const v = view(buf);
  return {
    controllen: Number(v.getBigUint64(OFFSETOF.msghdr.msg_controllen, true)),
    flags: v.getInt32(OFFSETOF.msghdr.msg_flags, true),
  };
}

/** CMSG_LEN(n): header plus n data bytes, unpadded. */
export function cmsgLen(n: number): number {
  return SIZEOF.cmsghdr + n;
}

/** CMSG_SPACE(n): header plus n data bytes padded to 8. */
export function cmsgSpace(n: number): number {
  return SIZEOF.cmsghdr + ((n + 7) & ~7);
}

/** Writes a cmsghdr at `off`; the data starts at `off + 16`. */
export function setCmsghdr(v: DataView, off: number, len: number, level: number, type: number) {
  v.setBigUint64(off + OFFSETOF.cmsghdr.cmsg_len, BigInt(len), true);
  v.setInt32(off + OFFSETOF.cmsghdr.cmsg_level, level, true);
  v.setInt32(off + OFFSETOF.cmsghdr.cmsg_type, type, true);
}

/** One control message found by {@link parseCmsgs}. */
export interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
}

/** Walks the control buffer of a received message (CMSG_FIRSTHDR/CMSG_NXTHDR). */
export function parseCmsgs(control: Uint8Array<ArrayBuffer>, controllen: number): Cmsg[] {
  const v = view(control);
  const out: Cmsg[] = [];
  let off = 0;
  while (off + SIZEOF.cmsghdr <= controllen) {
    const len = Number(v.getBigUint64(off, true));
    if (len < SIZEOF.cmsghdr || off + len > controllen) break;
    out.push({
      level: v.getInt32(off + 8, true),
      type: v.getInt32(off + 12, true),
      data: control.subarray(off + SIZEOF.cmsghdr, off + len),
    });
    off += (len + 7) & ~7;
  }
  return out;
}

/** A sigset_t with the given signals (signal n is bit n-1). */
export function sigset(signals: readonly number[] = []): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.sigset_t);
  for (const s of signals) {
    if (!Number.isInteger(s) || s < 1 || s > 64) throw new RangeError(`bad signal ${s}`);
    buf[(s - 1) >> 3] |= 1 << ((s - 1) & 7);
  }
  return buf;
}

/** Signals 1..64, including glibc's internal 32 and 33 that sigfillset refuses. */
export function sigsetAll(): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.sigset_t);
  buf.fill(0xff, 0, 8);
  return buf;
}

/** `struct itimerspec` in nanoseconds: `interval` and `value` (0 disarms). */
export interface TimerSpec {
  intervalNs: bigint;
  valueNs: bigint;
}

const NS = 1_000_000_000n;

export function encodeItimerspec(t: TimerSpec): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.itimerspec);
  const v = view(buf);
  v.setBigInt64(0, t.intervalNs / NS, true);
  v.setBigInt64(8, t.intervalNs % NS, true);
  v.setBigInt64(16, t.valueNs / NS, true);
  v.setBigInt64(24, t.valueNs % NS, true);
  return buf;
}

export function decodeItimerspec(buf: Uint8Array<ArrayBuffer>): TimerSpec {
  const v = view(buf);
  return {
    intervalNs: v.getBigInt64(0, true) * NS + v.getBigInt64(8, true),
    valueNs: v.getBigInt64(16, true) * NS + v.getBigInt64(24, true),
  };
}

/** `struct epoll_event` (packed on x86_64: u32 events, u64 data at 4). */
export function encodeEpollEvent(events: number, data: bigint): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.epoll_event);
  const v = view(buf);
  v.setUint32(OFFSETOF.epoll_event.events, events >>> 0, true);
  v.setBigUint64(OFFSETOF.epoll_event.data, data, true);
  return buf;
}

/** `struct rlimit`; RLIM_INFINITY is 2^64-1. */
export interface Rlimit {
  cur: bigint;
  max: bigint;
}

export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

export function encodeRlimit(r: Rlimit): Uint8Array<ArrayBuffer> {
  const buf = alloc(SIZEOF.rlimit);
  const v = view(buf);
  v.setBigUint64(0, r.cur, true);
  v.setBigUint64(8, r.max, true);
  return buf;
}

export function decodeRlimit(buf: Uint8Array<ArrayBuffer>): Rlimit {
  const v = view(buf);
  return { cur: v.getBigUint64(0, true), max: v.getBigUint64(8, true) };
}

/** A socket address ready for bind/connect: the buffer and the addrlen to pass. */
export interface SockAddrBuf {
  buf: Uint8Array<ArrayBuffer>;
  len: number;
}

/** A unix socket name: a filesystem path, an abstract name (no leading NUL), or unnamed. */
export type UnixName =
  | { path: string }
  | { abstract: string | Uint8Array }
  | { unnamed: true };

const SUN_PATH_MAX = 108;

/** `struct sockaddr_un`. Path: addrlen 2 + length + NUL; abstract: 3 + name length. */
export function encodeSockaddrUn(name: UnixName): SockAddrBuf {
  const buf = alloc(SIZEOF.sockaddr_un);
  view(buf).setUint16(0, 1, true); // AF_UNIX
  if ("unnamed" in name) return { buf, len: 2 };
  const abstract = "abstract" in name;
  const raw = abstract ? name.abstract : name.path;
  const bytes = typeof raw === "string" ? encoder.encode(raw) : raw;
  const start = abstract ? 3 : 2;
  if (!abstract && (bytes.length === 0 || bytes.includes(0))) {
    throw new TypeError(`bad unix socket path ${JSON.stringify(raw)}`);
  }
  if (bytes.length > SUN_PATH_MAX - 1) {
    throw new RangeError(`unix socket name longer than 107 bytes (${bytes.length})`);
  }
  buf.set(bytes, start);
  return { buf, len: start + bytes.length + (abstract ? 0 : 1) };
}

/** Reads a `struct sockaddr_un` of length `len` as returned by getsockname. */
export function decodeSockaddrUn(buf: Uint8Array<ArrayBuffer>, len: number): UnixName {
  if (len <= 2) return { unnamed: true };
  if (buf[2] === 0) return { abstract: buf.slice(3, len) };
  let end = 2;
  while (end < len && buf[end] !== 0) end++;
  return { path: new TextDecoder().decode(buf.subarray(2, end)) };
}

/** `struct sockaddr_in`: a 4-byte address and a port (stored big-endian). */
export function encodeSockaddrIn(addr: ArrayLike<number>, port: number): SockAddrBuf {
  if (addr.length !== 4) throw new RangeError(`IPv4 address needs 4 bytes, got ${addr.length}`);
  const buf = alloc(SIZEOF.sockaddr_in);
  const v = view(buf);
  v.setUint16(0, 2, true); // AF_INET
  v.setUint16(2, port, false);
  buf.set(Array.from(addr), 4);
  return { buf, len: SIZEOF.sockaddr_in };
}

/** `struct sockaddr_in6`: a 16-byte address, port, flow info and scope id. */
export function encodeSockaddrIn6(
  addr: ArrayLike<number>,
  port: number,
  flowinfo = 0,
  scopeId = 0,
): SockAddrBuf {
  if (addr.length !== 16) throw new RangeError(`IPv6 address needs 16 bytes, got ${addr.length}`);
  const buf = alloc(SIZEOF.sockaddr_in6);
  const v = view(buf);
  const o = OFFSETOF.sockaddr_in6;
  v.setUint16(0, 10, true); // AF_INET6
  v.setUint16(o.sin6_port, port, false);
  v.setUint32(o.sin6_flowinfo, flowinfo, false);
  buf.set(Array.from(addr), o.sin6_addr);
  v.setUint32(o.sin6_scope_id, scopeId, true);
  return { buf, len: SIZEOF.sockaddr_in6 };
}

/** An inet socket address as getsockname/getpeername return it. */
export interface InetAddr {
  /** AF_INET or AF_INET6. */
  family: number;
  /** 4 or 16 bytes, network order. */
  addr: Uint8Array;
  port: number;
}

/** Reads a `struct sockaddr_in` or `sockaddr_in6`. */
export function decodeSockaddrInet(buf: Uint8Array<ArrayBuffer>): InetAddr {
  const v = view(buf);
  const family = v.getUint16(0, true);
  const port = v.getUint16(2, false);
  if (family === 10) {
    const o = OFFSETOF.sockaddr_in6.sin6_addr;
    return { family, addr: buf.slice(o, o + 16), port };
  }
  return { family, addr: buf.slice(4, 8), port };
}

/** `struct sockaddr` with AF_UNSPEC: connect() to it dissolves an association. */
export function encodeSockaddrUnspec(): SockAddrBuf {
  return { buf: alloc(16), len: 16 };
}

/** `struct timeval`: i64 seconds, i64 microseconds (16 bytes). */
export function encodeTimeval(sec: bigint, usec: bigint): Uint8Array<ArrayBuffer> {
  const buf = alloc(16);
  const v = view(buf);
  v.setBigInt64(0, sec, true);
  v.setBigInt64(8, usec, true);
  return buf;
}

export function decodeTimeval(buf: Uint8Array<ArrayBuffer>): { sec: bigint; usec: bigint } {
  const v = view(buf);
  return { sec: v.getBigInt64(0, true), usec: v.getBigInt64(8, true) };
}
