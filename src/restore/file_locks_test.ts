import assert from "node:assert/strict";
import { LOG_LEVEL, Logger } from "../log.ts";
import { FD_TYPE, type FileLockEntry } from "../image/mod.ts";
import { type Checkpoint, fileOf } from "../model/mod.ts";
import { close, conflictingLock, F_LOCK, flockNow, getLease, LOCK, O, open } from "../sys/mod.ts";
import { oneTask } from "../files/_test_utils.ts";
import { RestoreError } from "../restore_error.ts";
import { takeFileLocks } from "./file_locks.ts";

const WHOLE = { start: 0n, len: 0n };

/** Task 100 holds `path` at fd 3 through `fd`; takes `locks` as a restore would. */
function take(path: string, fd: number, locks: Partial<FileLockEntry>[], run = true) {
  const cp: Checkpoint = {
    ...oneTask([{ id: 1, type: FD_TYPE.REG, payload: { id: 1, name: path }, fds: [3] }]),
    fileLocks: locks.map((l) => ({ flag: 1, type: 1, pid: 100, fd: 3, ...WHOLE, ...l })),
  };
  const file = fileOf(cp, FD_TYPE.REG, 1)!;
  const lines: string[] = [];
  const log = new Logger(LOG_LEVEL.DEBUG, (l) => lines.push(l));
  const staged = {
    tableFd: (_t: unknown, e: { file: unknown }) => e.file === file ? fd : undefined,
  };
  return { posix: takeFileLocks(cp, cp.tasks, staged, log, run), lines };
}

function withFile(fn: (path: string) => void): void {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/f`, "data");
    fn(`${dir}/f`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("flock and OFD locks are taken on the staged description; POSIX ones are left to the task", () => {
  withFile((path) => {
    const fd = open(path, O.RDWR | O.CLOEXEC);
    const other = open(path, O.RDWR | O.CLOEXEC);
    try {
      const { posix } = take(path, fd, [
        { flag: 2, type: 1 },
        { flag: 4, type: 0, start: 10n, len: 5n },
        { flag: 1, type: 1, start: 1073741824n, len: 512n },
      ]);
      // Another description of the same file meets both locks.
      assert.throws(() => flockNow(other, LOCK.EX), /EWOULDBLOCK|EAGAIN/);
      const ofd = conflictingLock(other, F_LOCK.OFD_GETLK, { type: 1, start: 0n, len: 0n });
      assert.deepEqual(ofd, { type: 0, start: 10n, len: 5n, pid: -1 });
      assert.deepEqual([...posix], [[100, [{ fd: 3, type: 1, start: "1073741824", len: "512" }]]]);
    } finally {
      close(fd);
      close(other);
    }
  });
});

Deno.test("a lease comes back on the staged description", () => {
  withFile((path) => {
    const fd = open(path, O.RDONLY | O.CLOEXEC);
    try {
      take(path, fd, [{ flag: 8, type: 0 }]);
      assert.equal(getLease(fd), 0);
    } finally {
      close(fd);
    }
  });
});

Deno.test("a lock that another description holds fails the restore at once, naming task and fd", () => {
  withFile((path) => {
    const fd = open(path, O.RDWR | O.CLOEXEC);
    const holder = open(path, O.RDWR | O.CLOEXEC);
    try {
      flockNow(holder, LOCK.SH);
      assert.throws(
        () => take(path, fd, [{ flag: 2, type: 1 }]),
        (e) =>
          e instanceof RestoreError && e.pid === 100 && e.fd === 3 &&
          /^fd 3 of task 100: Can not set flock lock: /.test(e.message),
      );
      // check (take = false) validates without taking anything.
      take(path, fd, [{ flag: 2, type: 1 }], false);
      assert.throws(() => take(path, fd, [{ flag: 16 }], false), /Unknown file lock style 16/);
      assert.throws(() => take(path, fd, [{ fd: 9 }], false), /an fd the task does not have/);
    } finally {
      close(fd);
      close(holder);
    }
  });
});
