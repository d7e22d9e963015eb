/**
 * Creating the special fd kinds fdrestore restores (eventfd, signalfd, timerfd,
 * epoll, inotify, memfd, fifo) and the path calls around them.
 *
 * @module
 */

import { AT_FDCWD, CLOSE_RANGE, INOTIFY_IOC_SETNEXTWD, TFD_IOC_SET_TICKS } from "./consts.ts";
import { check, SysError } from "./errno.ts";
import { libc } from "./libc.ts";
import { close } from "./fd.ts";
import {
  alloc,
  cstr,
  decodeItimerspec,
  encodeEpollEvent,
  encodeItimerspec,
  sigset,
  SIZEOF,
  type TimerSpec,
} from "./structs.ts";

export type { TimerSpec };

/** eventfd(2). */
export function eventfd(initval: number, flags: number): number {
  const c = libc();
  return check("eventfd", () => c.eventfd(initval, flags));
}

/** signalfd(2) for the given signals (`fd` -1 creates a new one). */
export function signalfd(fd: number, signals: readonly number[], flags: number): number {
  const c = libc();
  const mask = sigset(signals);
  return check("signalfd", () => c.signalfd(fd, mask, flags), ...(fd >= 0 ? [fd] : []));
}

/** timerfd_create(2). */
export function timerfdCreate(clock: number, flags: number): number {
  const c = libc();
  return check("timerfd_create", () => c.timerfd_create(clock, flags));
}

/** timerfd_settime(2); returns the previous setting. */
export function timerfdSettime(fd: number, flags: number, spec: TimerSpec): TimerSpec {
  const c = libc();
  const next = encodeItimerspec(spec);
  const old = alloc(SIZEOF.itimerspec);
  check("timerfd_settime", () => c.timerfd_settime(fd, flags, next, old), fd);
  return decodeItimerspec(old);
}

/** timerfd_gettime(2): the interval and the time left until the next expiry. */
export function timerfdGettime(fd: number): TimerSpec {
  const c = libc();
  const cur = alloc(SIZEOF.itimerspec);
  check("timerfd_gettime", () => c.timerfd_gettime(fd, cur), fd);
  return decodeItimerspec(cur);
}

/** epoll_create1(2). */
export function epollCreate1(flags: number): number {
  const c = libc();
  return check("epoll_create1", () => c.epoll_create1(flags));
}

/** epoll_ctl(2); `data` is the 64-bit user data (CRIU stores it per target). */
export function epollCtl(epfd: number, op: number, fd: number, events: number, data: bigint) {
  const c = libc();
  const ev = encodeEpollEvent(events, data);
  check("epoll_ctl", () => c.epoll_ctl(epfd, op, fd, ev), epfd, fd);
}

/** inotify_init1(2). */
export function inotifyInit1(flags: number): number {
  const c = libc();
  return check("inotify_init1", () => c.inotify_init1(flags));
}

/** inotify_add_watch(2); returns the watch descriptor. */
export function inotifyAddWatch(fd: number, path: string, mask: number): number {
  const c = libc();
  const p = cstr(path);
  return check("inotify_add_watch", () => c.inotify_add_watch(fd, p, mask >>> 0), fd, path);
}

/** memfd_create(2). */
export function memfdCreate(name: string, flags: number): number {
  const c = libc();
  const p = cstr(name);
  return check("memfd_create", () => c.memfd_create(p, flags), name);
}

/** mkfifo(3). */
export function mkfifo(path: string, mode: number): void {
  const c = libc();
  const p = cstr(path);
  check("mkfifo", () => c.mkfifo(p, mode), path);
}

/** unlink(2). */
export function unlink(path: string): void {
  const c = libc();
  const p = cstr(path);
  check("unlink", () => c.unlink(p), path);
}

/** linkat(2), e.g. `linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH)` to give an O_TMPFILE a name. */
export function linkat(
  olddirfd: number,
  oldpath: string,
  newdirfd: number,
  newpath: string,
  flags: number,
): void {
  const c = libc();
  const o = cstr(oldpath);
  const n = cstr(newpath);
  const fds = [olddirfd, newdirfd].filter((d) => d !== AT_FDCWD);
  check("linkat", () => c.linkat(olddirfd, o, newdirfd, n, flags), ...fds, oldpath, newpath);
}

/** close_range(2) over `[first, last]` (inclusive); `flags` may be CLOSE_RANGE_CLOEXEC. */
export function closeRange(first: number, last: number, flags = 0): void {
  const fn = libc().close_range;
  const shown = `${first}..${last >>> 0 === 0xffffffff ? "max" : last}`;
  if (fn === null) throw new SysError("close_range", 38, [shown]);
  check("close_range", () => fn(first >>> 0, last >>> 0, flags), shown);
}

/**
 * Closes every fd of `fds`, ignoring errors (one closed already): each run of
 * consecutive numbers with one close_range, so thousands of staged
 * descriptors go in a few calls; a run that fails is closed fd by fd.
 */
export function closeAll(fds: Iterable<number>): void {
  const sorted = Int32Array.from(fds).sort();
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1) j++;
    try {
      if (sorted[j] > sorted[i]) closeRange(sorted[i], sorted[j]);
      else close(sorted[i]);
    } catch {
      for (let k = i; k <= j; k++) {
        try {
          close(sorted[k]);
        } catch {
          // already closed
        }
      }
    }
    i = j + 1;
  }
}

/** Marks every fd >= `first` close-on-exec (the kernel does it in one call). */
export function cloexecFrom(first: number): void {
  closeRange(first, 0xffffffff, CLOSE_RANGE.CLOEXEC);
}

/** ioctl(2) with a pointer argument; returns the (non-negative) result. */
export function ioctl(fd: number, request: number, arg: Uint8Array<ArrayBuffer>): number {
  const c = libc();
  return check("ioctl", () => c.ioctl(fd, BigInt(request), arg), fd, `0x${request.toString(16)}`);
}

/** ioctl(2) with a plain integer argument (INOTIFY_IOC_SETNEXTWD takes the wd itself). */
export function ioctlInt(fd: number, request: number, arg: number): number {
  const c = libc();
  const req = `0x${request.toString(16)}`;
  return check("ioctl", () => c.ioctl_int(fd, BigInt(request), BigInt(arg)), fd, req);
}

/** inotify_rm_watch(2). */
export function inotifyRmWatch(fd: number, wd: number): void {
  const c = libc();
  check("inotify_rm_watch", () => c.inotify_rm_watch(fd, wd), fd, `wd ${wd}`);
}

/** clock_gettime(2) in nanoseconds. */
export function clockGettime(clock: number): bigint {
  const c = libc();
  const ts = alloc(16); // struct timespec: i64 tv_sec, i64 tv_nsec
  check("clock_gettime", () => c.clock_gettime(clock, ts), `clock ${clock}`);
  const v = new DataView(ts.buffer);
  return v.getBigInt64(0, true) * 1_000_000_000n + v.getBigInt64(8, true);
}

/** fchmod(2): the exact mode, whatever the umask was at creation. */
export function fchmod(fd: number, mode: number): void {
  const c = libc();
  check("fchmod", () => c.fchmod(fd, mode), fd, `0${mode.toString(8)}`);
}

/** fchown(2). */
export function fchown(fd: number, uid: number, gid: number): void {
  const c = libc();
  check("fchown", () => c.fchown(fd, uid >>> 0, gid >>> 0), fd, `${uid}:${gid}`);
}

/** TFD_IOC_SET_TICKS: sets the unread expiry count of a timerfd (needs CONFIG_CHECKPOINT_RESTORE). */
export function timerfdSetTicks(fd: number, ticks: bigint): void {
  const arg = alloc(8);
  new DataView(arg.buffer).setBigUint64(0, ticks, true);
  ioctl(fd, TFD_IOC_SET_TICKS, arg);
}

/** INOTIFY_IOC_SETNEXTWD: the wd the next new watch gets (needs CONFIG_CHECKPOINT_RESTORE). */
export function inotifySetNextWd(fd: number, wd: number): void {
  ioctlInt(fd, INOTIFY_IOC_SETNEXTWD, wd);
}

/** ftruncate(2). */
export function ftruncate(fd: number, length: bigint): void {
  const c = libc();
  check("ftruncate", () => c.ftruncate(fd, length), fd, String(length));
}
