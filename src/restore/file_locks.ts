/**
 * `--file-locks` (criu's file-lock.c): the locks of filelocks.img, each held
 * by a task on one of its fds at dump time.
 *
 * flock locks, OFD locks and leases belong to an open file description:
 * fdrestore takes them on its staged descriptor before any task starts, and
 * the task gets the description with its lock. POSIX record locks belong to
 * a process, and any close of the file by that process drops them: the task
 * takes them itself, started through a helper that places its fds, closes
 * every other copy, takes the locks and execs (execve keeps them; see
 * src/sys/exec.ts). Nothing waits: a lock another process holds fails the
 * restore (criu would wait for it).
 */
import type { Logger } from "../log.ts";
import { FILE_LOCK_FLAG, type FileLockEntry } from "../image/mod.ts";
import type { Checkpoint, Task } from "../model/mod.ts";
import {
  errnoText,
  F_LOCK,
  flockNow,
  LOCK,
  setLease,
  setRecordLock,
  SysError,
} from "../sys/mod.ts";
import { RestoreError } from "../restore_error.ts";
import type { RestoreSession } from "./open_files.ts";

const F_RDLCK = 0;
const F_WRLCK = 1;
const LOCK_MAND = 32;

/** A POSIX lock for the task to take on its fd (plain data: it travels to helpers). */
export interface PosixLock {
  fd: number;
  type: number;
  /** Decimal int64s (JSON has no bigint). */
  start: string;
  len: string;
}

/**
 * Takes the description locks of `tasks` on their staged fds (with `take`;
 * `check` only validates) and returns the POSIX locks each task (by pid in
 * the dump) must take itself.
 */
export function takeFileLocks(
  cp: Checkpoint,
  tasks: readonly Task[],
  staged: Pick<RestoreSession, "tableFd">,
  log: Logger,
  take: boolean,
): Map<number, PosixLock[]> {
  const posix = new Map<number, PosixLock[]>();
  for (const lock of cp.fileLocks ?? []) {
    const task = tasks.find((t) => t.pid === lock.pid);
    if (!task) {
      log.info(`file lock of task ${lock.pid} on fd ${lock.fd}: the task is not restored`);
      continue;
    }
    const owner = task.tableOwner ?? task;
    const e = owner.fds.find((x) => x.fd === lock.fd);
    const fail = (what: string, cause?: unknown) =>
      new RestoreError(`fd ${lock.fd} of task ${lock.pid}: ${what}`, {
        pid: lock.pid,
        fd: lock.fd,
        fileId: e?.file.id,
      }, { cause });
    if (!e) throw fail("filelocks.img has a lock on an fd the task does not have");
    if (lock.flag === FILE_LOCK_FLAG.POSIX) {
      checkRecordType(lock, fail);
      const list = posix.get(task.pid) ?? [];
      list.push({ fd: lock.fd, type: lock.type, start: String(lock.start), len: String(lock.len) });
      posix.set(task.pid, list);
      log.info(`task ${lock.pid} takes a POSIX ${kindOf(lock)} lock on fd ${lock.fd} at start`);
      continue;
    }
    const fd = staged.tableFd(owner, e);
    if (fd === undefined) throw fail("a lock on a file the task opens itself is not supported");
    const step = descriptionStep(lock, fd, fail);
    if (!take) continue;
    try {
      step.run();
    } catch (err) {
      const why = err instanceof SysError ? errnoText(err.errno) : String(err);
      throw fail(`Can not set ${step.name} lock: ${why}`, err);
    }
    log.info(`${step.name} ${kindOf(lock)} lock taken for fd ${lock.fd} of task ${lock.pid}`);
  }
  return posix;
}

function kindOf(lock: FileLockEntry): string {
  return lock.type === F_WRLCK ? "write" : "read";
}

function checkRecordType(lock: FileLockEntry, fail: (what: string) => RestoreError): void {
  if (lock.type !== F_RDLCK && lock.type !== F_WRLCK) {
    throw fail(`Unknown lock type ${lock.type} in filelocks.img`);
  }
}

function descriptionStep(
  lock: FileLockEntry,
  fd: number,
  fail: (what: string) => RestoreError,
): { name: string; run: () => void } {
  switch (lock.flag) {
    case FILE_LOCK_FLAG.FLOCK:
      if ((lock.type & LOCK_MAND) !== 0) {
        throw fail("mandatory flock locks (LOCK_MAND) are gone from Linux 5.15 and later");
      }
      checkRecordType(lock, fail);
      return {
        name: "flock",
        run: () => flockNow(fd, lock.type === F_WRLCK ? LOCK.EX : LOCK.SH),
      };
    case FILE_LOCK_FLAG.OFD:
      checkRecordType(lock, fail);
      return {
        name: "OFD",
        run: () => setRecordLock(fd, F_LOCK.OFD_SETLK, { ...lock, pid: 0 }),
      };
    case FILE_LOCK_FLAG.LEASE:
      // A lease being broken at dump time carries more bits: not restored.
      checkRecordType(lock, fail);
      return { name: "lease", run: () => setLease(fd, lock.type) };
    default:
      throw fail(`Unknown file lock style ${lock.flag} in filelocks.img`);
  }
}
