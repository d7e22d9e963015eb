import assert from "node:assert/strict";
import { F, FD_CLOEXEC, O, SEEK } from "./consts.ts";
import {
  close,
  dup,
  dup2,
  dup3,
  dupAbove,
  dupAboveInheritable,
  fstat,
  getFdFlags,
  getFlags,
  getOwnEx,
  getPipeSize,
  getSig,
  lseek,
  open,
  openat,
  pipe2,
  read,
  readlink,
  setCloexec,
  setFdFlags,
  setFlags,
  setOwnEx,
  setPipeSize,
  setSig,
  write,
  writeAll,
} from "./fd.ts";
import { leakChecked } from "./_testing.ts";

const BAD = 999_999;
const ebadf = (call: string, ...rest: string[]) => ({
  name: "SysError",
  code: "EBADF",
  message: `${call}(${[`fd ${BAD}`, ...rest].join(", ")}): EBADF (Bad file descriptor)`,
});

Deno.test(
  "pipe2 gives two close-on-exec ends that fstat sees as one pipe",
  leakChecked(() => {
    const [r, w] = pipe2();
    try {
      const a = fstat(r);
      const b = fstat(w);
      assert.equal(a.ino, b.ino);
      assert.equal(a.mode & 0o170000, 0o010000); // S_IFIFO
      assert.equal(getFdFlags(r), FD_CLOEXEC);
      assert.equal(getFlags(r) & O.ACCMODE, O.RDONLY);
      assert.equal(getFlags(w) & O.ACCMODE, O.WRONLY);
      assert.equal(readlink(`/proc/self/fd/${r}`), `pipe:[${a.ino}]`);
    } finally {
      close(r);
      close(w);
    }
  }),
);

Deno.test(
  "dupAbove copies at or above the minimum with close-on-exec",
  leakChecked(() => {
    const [r, w] = pipe2(0);
    try {
      assert.equal(getFdFlags(r), 0);
      const d = dupAbove(r, 4000);
      assert.ok(d >= 4000);
      assert.equal(getFdFlags(d), FD_CLOEXEC);
      assert.equal(fstat(d).ino, fstat(r).ino);
      const e = dupAboveInheritable(r, 4000);
      assert.ok(e > d);
      assert.equal(getFdFlags(e), 0);
      close(d);
      close(e);
    } finally {
      close(r);
      close(w);
    }
    assert.throws(() => dupAbove(BAD, 10), ebadf("fcntl", "F_DUPFD_CLOEXEC 10"));
  }),
);

Deno.test(
  "dup, dup2 and dup3 set the flags the kernel documents",
  leakChecked(() => {
    const [r, w] = pipe2();
    try {
      const a = dup(r);
      assert.equal(getFdFlags(a), 0);
      assert.equal(dup2(r, 4100), 4100);
      assert.equal(getFdFlags(4100), 0);
      assert.equal(dup3(w, 4100, O.CLOEXEC), 4100);
      assert.equal(getFdFlags(4100), FD_CLOEXEC);
      assert.equal(fstat(4100).ino, fstat(w).ino);
      assert.throws(() => dup3(4100, 4100, 0), { code: "EINVAL" });
      close(a);
      close(4100);
    } finally {
      close(r);
      close(w);
    }
    assert.throws(() => dup(BAD), ebadf("dup"));
    assert.throws(() => dup2(BAD, 4100), {
      message: `dup2(fd ${BAD}, fd 4100): EBADF (Bad file descriptor)`,
    });
  }),
);

Deno.test(
  "fd and status flags, signal and pipe size can be set and read back",
  leakChecked(() => {
    const [r, w] = pipe2();
    try {
      setCloexec(r, false);
      assert.equal(getFdFlags(r), 0);
      setFdFlags(r, FD_CLOEXEC);
      assert.equal(getFdFlags(r), FD_CLOEXEC);
      setFlags(w, O.NONBLOCK);
      assert.equal(getFlags(w) & O.NONBLOCK, O.NONBLOCK);
      setSig(r, 34);
      assert.equal(getSig(r), 34);
      assert.equal(setPipeSize(w, 1 << 16), 1 << 16);
      assert.equal(getPipeSize(r), 1 << 16);
    } finally {
      close(r);
      close(w);
    }
    assert.throws(() => getFdFlags(BAD), ebadf("fcntl", "F_GETFD"));
    assert.throws(() => setFlags(BAD, 0), ebadf("fcntl", "F_SETFL"));
    assert.throws(() => getPipeSize(0 + BAD), ebadf("fcntl", "F_GETPIPE_SZ"));
  }),
);

Deno.test(
  "F_SETOWN_EX and F_GETOWN_EX round-trip an owner",
  leakChecked(() => {
    const [r, w] = pipe2();
    try {
      assert.deepEqual(getOwnEx(r), { type: F.OWNER_TID, pid: 0 });
      setOwnEx(r, { type: F.OWNER_PID, pid: Deno.pid });
      assert.deepEqual(getOwnEx(r), { type: F.OWNER_PID, pid: Deno.pid });
      assert.throws(() => setOwnEx(r, { type: 7, pid: 1 }), { code: "EINVAL" });
    } finally {
      close(r);
      close(w);
    }
    assert.throws(() => getOwnEx(BAD), ebadf("fcntl", "F_GETOWN_EX"));
  }),
);

Deno.test(
  "writeAll, read and lseek work on a regular file",
  leakChecked(() => {
    const dir = Deno.makeTempDirSync();
    try {
      const fd = open(`${dir}/f`, O.RDWR | O.CREAT | O.CLOEXEC, 0o600);
      const big = new Uint8Array(300_000).map((_, i) => i & 0xff);
      writeAll(fd, big);
      assert.equal(write(fd, new Uint8Array([1, 2])), 2);
      assert.equal(lseek(fd, 0n, SEEK.CUR), 300_002n);
      assert.equal(lseek(fd, 5n, SEEK.SET), 5n);
      const buf = new Uint8Array(new ArrayBuffer(3));
      assert.equal(read(fd, buf), 3);
      assert.deepEqual([...buf], [5, 6, 7]);
      assert.equal(fstat(fd).size, 300_002n);
      const dfd = open(dir, O.RDONLY | O.DIRECTORY | O.CLOEXEC);
      const again = openat(dfd, "f", O.RDONLY | O.CLOEXEC);
      assert.equal(fstat(again).ino, fstat(fd).ino);
      assert.throws(() => openat(dfd, "missing", O.RDONLY), {
        message: `openat(fd ${dfd}, missing): ENOENT (No such file or directory)`,
      });
      for (const x of [fd, dfd, again]) close(x);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
    assert.throws(() => open("/nonexistent/x", O.RDONLY), {
      message: "open(/nonexistent/x): ENOENT (No such file or directory)",
    });
    assert.throws(() => lseek(BAD, 0n, SEEK.SET), ebadf("lseek"));
  }),
);

Deno.test(
  "writeAll loops over short writes into a full non-blocking pipe until EAGAIN",
  leakChecked(() => {
    const [r, w] = pipe2(O.CLOEXEC | O.NONBLOCK);
    try {
      setPipeSize(w, 4096);
      assert.throws(() => writeAll(w, new Uint8Array(10_000)), {
        code: "EAGAIN",
        message: `write(fd ${w}): EAGAIN (Resource temporarily unavailable)`,
      });
      const buf = new Uint8Array(new ArrayBuffer(10_000));
      assert.equal(read(r, buf), 4096); // the first write was short, then the loop went on
    } finally {
      close(r);
      close(w);
    }
  }),
);

Deno.test(
  "writing to a pipe without readers fails with EPIPE, not a signal",
  leakChecked(() => {
    const [r, w] = pipe2();
    close(r);
    try {
      assert.throws(() => writeAll(w, new Uint8Array([1])), { code: "EPIPE" });
    } finally {
      close(w);
    }
  }),
);

Deno.test("close of a closed fd and readlink of a missing path name the failure", () => {
  assert.throws(() => close(BAD), ebadf("close"));
  assert.throws(() => readlink("/proc/self/fd/999999"), {
    message: "readlink(/proc/self/fd/999999): ENOENT (No such file or directory)",
  });
  assert.throws(() => read(BAD, new Uint8Array(new ArrayBuffer(1))), ebadf("read"));
  assert.throws(() => fstat(BAD), ebadf("fstat"));
});
