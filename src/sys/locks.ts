/**
 * File locks: flock(2) and fcntl record locks, per process (F_SETLK) or per
 * open file description (F_OFD_SETLK), and leases. Every call here fails
 * rather than waits: a lock another process holds is an error to report.
 *
 * @module
 */
import { check } from "./errno.ts";
import { libc } from "./libc.ts";
import { decodeFlock, encodeFlock, type RecordLock } from "./structs.ts";

export type { RecordLock };

/** fcntl commands for locks and leases. */
export const F_LOCK = {
  GETLK: 5,
  SETLK: 6,
  OFD_GETLK: 36,
  OFD_SETLK: 37,
  SETLEASE: 1024,
  GETLEASE: 1025,
} as const;

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** flock(fd, op | LOCK_NB). */
export function flockNow(fd: number, op: number): void {
  const c = libc();
  check("flock", () => c.flock(fd, op | LOCK.NB), fd);
}

const NAMES: Record<number, string> = {
  [F_LOCK.GETLK]: "F_GETLK",
  [F_LOCK.SETLK]: "F_SETLK",
  [F_LOCK.OFD_GETLK]: "F_OFD_GETLK",
  [F_LOCK.OFD_SETLK]: "F_OFD_SETLK",
};

function fcntlLock(fd: number, cmd: number, buf: Uint8Array<ArrayBuffer>): void {
  const c = libc();
  check("fcntl", () => c.fcntl_ptr(fd, cmd, buf), fd, NAMES[cmd] ?? String(cmd));
}

/** fcntl(fd, F_SETLK or F_OFD_SETLK, lock). */
export function setRecordLock(fd: number, cmd: number, lock: RecordLock): void {
  fcntlLock(fd, cmd, encodeFlock(lock));
}

/**
 * fcntl(fd, F_GETLK or F_OFD_GETLK, lock): the first lock that would block
 * `lock` (its pid: the owner, -1 for an OFD lock), or undefined.
 */
export function conflictingLock(fd: number, cmd: number, lock: RecordLock): RecordLock | undefined {
  const buf = encodeFlock(lock);
  fcntlLock(fd, cmd, buf);
  const got = decodeFlock(buf);
  return got.type === 2 ? undefined : got;
}

/** fcntl(fd, F_SETLEASE, type). */
export function setLease(fd: number, type: number): void {
  const c = libc();
  check("fcntl", () => c.fcntl_int(fd, F_LOCK.SETLEASE, BigInt(type)), fd, "F_SETLEASE");
}

/** fcntl(fd, F_GETLEASE): F_RDLCK 0, F_WRLCK 1 or F_UNLCK 2. */
export function getLease(fd: number): number {
  const c = libc();
  return check("fcntl", () => c.fcntl_int(fd, F_LOCK.GETLEASE, 0n), fd, "F_GETLEASE");
}
