/**
 * Wrappers for the basic fd calls: open, close, dup*, fcntl, lseek, read, write,
 * pipe2, fstat, readlink. Each checks its result and throws {@link SysError}.
 *
 * @module
 */

import { AT_FDCWD, F, FD_CLOEXEC, O } from "./consts.ts";
import { check, checkOnce, SysError, tryCall } from "./errno.ts";
import { libc } from "./libc.ts";
import {
  alloc,
  cstr,
  cstrTemp,
  decodeOwnerEx,
  decodeStat,
  encodeOwnerEx,
  type OwnerEx,
  type Stat,
  view,
} from "./structs.ts";

export type { OwnerEx, Stat };

/** open(2). Pass O_CLOEXEC yourself if wanted. */
export function open(path: string, flags: number, mode = 0o666): number {
  return openat(AT_FDCWD, path, flags, mode);
}

/** openat(2). */
export function openat(dirfd: number, path: string, flags: number, mode = 0o666): number {
  const fd = tryOpenat(dirfd, path, flags, mode);
  if (fd >= 0) return fd;
  throw dirfd === AT_FDCWD
    ? new SysError("open", -fd, [path])
    : new SysError("openat", -fd, [dirfd, path]);
}

/** openat(2) that returns `-errno` instead of throwing ({@link tryCall}). */
export function tryOpenat(dirfd: number, path: string, flags: number, mode = 0o666): number {
  const c = libc();
  const p = cstrTemp(path);
  return dirfd === AT_FDCWD
    ? tryCall("open", () => c.open(p, flags, mode), path)
    : tryCall("openat", () => c.openat(dirfd, p, flags, mode), dirfd, path);
}

/** close(2). EINTR counts as closed (Linux always releases the fd). */
export function close(fd: number): void {
  const c = libc();
  checkOnce("close", () => c.close(fd), fd);
}

/** close(2) on a cleanup path: a failure (already closed, -1) is not an error there. */
export function closeQuietly(fd: number): void {
  try {
    if (fd >= 0) close(fd);
  } catch {
    // nothing to undo
  }
}

/** dup(2): the lowest free fd (no close-on-exec). */
export function dup(fd: number): number {
  const c = libc();
  return check("dup", () => c.dup(fd), fd);
}

/** dup2(2): `to` now refers to `from`'s file, without close-on-exec. */
export function dup2(from: number, to: number): number {
  const c = libc();
  return check("dup2", () => c.dup2(from, to), from, to);
}

/** dup3(2): like dup2 with flags (O_CLOEXEC); fails with EINVAL if from === to. */
export function dup3(from: number, to: number, flags: number): number {
  const c = libc();
  return check("dup3", () => c.dup3(from, to, flags), from, to);
}

function fcntl(fd: number, cmd: number, name: string, arg = 0): number {
  const c = libc();
  return check("fcntl", () => c.fcntl_int(fd, cmd, BigInt(arg)), fd, name);
}

/** A copy of `fd` at the lowest free number >= `min`, with close-on-exec. */
export function dupAbove(fd: number, min: number): number {
  return fcntl(fd, F.DUPFD_CLOEXEC, `F_DUPFD_CLOEXEC ${min}`, min);
}

/**
 * {@link dupAbove} on a worker thread, for calls worth overlapping with work
 * here (a first fd above the table's size waits for the kernel to grow it).
 * Resolves to the copy, or -1 when the call failed (errno is not available).
 */
export function dupAboveInBackground(fd: number, min: number): Promise<number> {
  return libc().fcntl_int_nb(fd, F.DUPFD_CLOEXEC, BigInt(min));
}

/** A copy of `fd` at the lowest free number >= `min`, without close-on-exec. */
export function dupAboveInheritable(fd: number, min: number): number {
  return fcntl(fd, F.DUPFD, `F_DUPFD ${min}`, min);
}

/** F_GETFD: the fd flags (FD_CLOEXEC). */
export function getFdFlags(fd: number): number {
  return fcntl(fd, F.GETFD, "F_GETFD");
}

/** F_SETFD. */
export function setFdFlags(fd: number, flags: number): void {
  fcntl(fd, F.SETFD, "F_SETFD", flags);
}

/** Sets or clears FD_CLOEXEC only. */
export function setCloexec(fd: number, on: boolean): void {
  setFdFlags(fd, on ? FD_CLOEXEC : 0);
}

/** F_GETFL: access mode and status flags of the open file description. */
export function getFlags(fd: number): number {
  return fcntl(fd, F.GETFL, "F_GETFL");
}

/** F_SETFL: only O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME, O_NONBLOCK can change. */
export function setFlags(fd: number, flags: number): void {
  fcntl(fd, F.SETFL, "F_SETFL", flags);
}

/** F_SETSIG: the signal sent for O_ASYNC I/O (0 = SIGIO). */
export function setSig(fd: number, sig: number): void {
  fcntl(fd, F.SETSIG, "F_SETSIG", sig);
}

/** F_GETSIG. */
export function getSig(fd: number): number {
  return fcntl(fd, F.GETSIG, "F_GETSIG");
}

/** F_SETPIPE_SZ; returns the size actually set. */
export function setPipeSize(fd: number, size: number): number {
  return fcntl(fd, F.SETPIPE_SZ, "F_SETPIPE_SZ", size);
}

/** F_GETPIPE_SZ. */
export function getPipeSize(fd: number): number {
  return fcntl(fd, F.GETPIPE_SZ, "F_GETPIPE_SZ");
}

/** F_ADD_SEALS (memfds): F_SEAL_SEAL 1, SHRINK 2, GROW 4, WRITE 8, FUTURE_WRITE 0x10, EXEC 0x20. */
export function addSeals(fd: number, seals: number): void {
  fcntl(fd, F.ADD_SEALS, "F_ADD_SEALS", seals);
}

/** F_GET_SEALS. */
export function getSeals(fd: number): number {
  return fcntl(fd, F.GET_SEALS, "F_GET_SEALS");
}

/** F_SETOWN_EX. */
export function setOwnEx(fd: number, owner: OwnerEx): void {
  const c = libc();
  const buf = encodeOwnerEx(owner);
  check("fcntl", () => c.fcntl_ptr(fd, F.SETOWN_EX, buf), fd, "F_SETOWN_EX");
}

/** F_GETOWN_EX. */
export function getOwnEx(fd: number): OwnerEx {
  const c = libc();
  const buf = alloc(8);
  check("fcntl", () => c.fcntl_ptr(fd, F.GETOWN_EX, buf), fd, "F_GETOWN_EX");
  return decodeOwnerEx(buf);
}

/** lseek(2); offsets are bigint (files may exceed 2^53). */
export function lseek(fd: number, offset: bigint, whence: number): bigint {
  const c = libc();
  let r = -1n;
  check("lseek", () => (r = c.lseek(fd, offset, whence)), fd);
  return r;
}

/** read(2) into `buf`; returns the byte count (0 at end of file). */
export function read(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  const c = libc();
  return check("read", () => c.read(fd, buf, BigInt(buf.byteLength)), fd);
}

/** write(2) once; returns the byte count (may be short). */
export function write(fd: number, bytes: Uint8Array): number {
  const c = libc();
  const buf = owned(bytes);
  return check("write", () => c.write(fd, buf, BigInt(buf.byteLength)), fd);
}

/** Writes all of `bytes`, looping over short writes. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  const c = libc();
  const buf = owned(bytes);
  let done = 0;
  while (done < buf.byteLength) {
    const rest = buf.subarray(done);
    done += check("write", () => c.write(fd, rest, BigInt(rest.byteLength)), fd);
  }
}

/** `bytes` itself if it is a plain ArrayBuffer view, else a copy (C needs stable memory). */
function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.buffer instanceof ArrayBuffer) return bytes as Uint8Array<ArrayBuffer>;
  const copy = alloc(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** pipe2(2): `[read end, write end]`. */
export function pipe2(flags: number = O.CLOEXEC): [number, number] {
  const c = libc();
  const buf = alloc(8);
  check("pipe2", () => c.pipe2(buf, flags));
  const v = view(buf);
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

const statBuf = alloc(144); // read out before the next call

/** fstat(2). */
export function fstat(fd: number): Stat {
  const c = libc();
  check("fstat", () => c.fstat(fd, statBuf), fd);
  return decodeStat(statBuf);
}

const decoder = new TextDecoder();

/** readlink(2) (e.g. `/proc/self/fd/N`); grows the buffer until the target fits. */
export function readlink(path: string): string {
  const c = libc();
  const p = cstr(path);
  for (let size = 256;; size *= 4) {
    const buf = alloc(size);
    const n = check("readlink", () => c.readlink(p, buf, BigInt(size)), path);
    if (n < size) return decoder.decode(buf.subarray(0, n));
    if (size > 1 << 20) throw new SysError("readlink", 36, [path]);
  }
}

/**
 * A small file read whole through libc, or undefined when it cannot be
 * opened. For /proc/PID files: Deno's own reads of another process's /proc
 * entries need --allow-all, which the bundle does not have.
 */
export function readSmallFile(path: string, limit = 64 * 1024): string | undefined {
  let fd: number;
  try {
    fd = open(path, O.RDONLY | O.CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    // A /proc file fits one page: the buffer grows only for a longer file (a
    // watch reads ~100 files every 10 ms, and a 64 KiB buffer each fed the GC).
    let buf = new Uint8Array(Math.min(limit, 4096));
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len >= limit) break;
        const more = new Uint8Array(Math.min(limit, 2 * len));
        more.set(buf);
        buf = more;
      }
      const n = read(fd, buf.subarray(len));
      if (n <= 0) break;
      len += n;
    }
    return decoder.decode(buf.subarray(0, len));
  } catch {
    return undefined;
  } finally {
    closeQuietly(fd);
  }
}
