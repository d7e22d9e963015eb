import assert from "node:assert/strict";
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  CLOCK,
  EFD,
  EPOLL,
  EPOLLIN,
  FD_CLOEXEC,
  IN,
  MFD,
  O,
  SFD,
  TFD,
} from "./consts.ts";
import { close, dup2, fstat, getFdFlags, open, pipe2, read, readlink, writeAll } from "./fd.ts";
import {
  clockGettime,
  cloexecFrom,
  closeAll,
  closeRange,
  epollCreate1,
  epollCtl,
  eventfd,
  fchmod,
  fchown,
  ftruncate,
  inotifyAddWatch,
  inotifyInit1,
  inotifyRmWatch,
  inotifySetNextWd,
  ioctl,
  ioctlInt,
  linkat,
  memfdCreate,
  mkfifo,
  signalfd,
  timerfdCreate,
  timerfdGettime,
  timerfdSetTicks,
  timerfdSettime,
  unlink,
} from "./kinds.ts";
import { leakChecked } from "./_testing.ts";

const BAD = 999_999;
const FIONREAD = 0x541b;

function fdinfo(fd: number): string {
  return Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
}

Deno.test(
  "eventfd starts with its initial count",
  leakChecked(() => {
    const fd = eventfd(5, EFD.CLOEXEC | EFD.NONBLOCK);
    try {
      assert.equal(readlink(`/proc/self/fd/${fd}`), "anon_inode:[eventfd]");
      assert.match(fdinfo(fd), /eventfd-count:\s+5\n/);
      assert.equal(getFdFlags(fd), FD_CLOEXEC);
    } finally {
      close(fd);
    }
    assert.throws(() => eventfd(0, 0xfff0000), { message: "eventfd(): EINVAL (Invalid argument)" });
  }),
);

Deno.test(
  "signalfd watches the given signals",
  leakChecked(() => {
    const fd = signalfd(-1, [10, 12], SFD.CLOEXEC);
    try {
      assert.match(fdinfo(fd), /sigmask:\s+0000000000000a00\n/);
      assert.equal(signalfd(fd, [1], 0), fd);
      assert.match(fdinfo(fd), /sigmask:\s+0000000000000001\n/);
    } finally {
      close(fd);
    }
    assert.throws(() => signalfd(BAD, [1], 0), { code: "EBADF", fd: BAD });
  }),
);

Deno.test(
  "timerfd settime and gettime round-trip an armed interval",
  leakChecked(() => {
    const fd = timerfdCreate(CLOCK.MONOTONIC, TFD.CLOEXEC);
    try {
      const old = timerfdSettime(fd, 0, { intervalNs: 2_000_000_000n, valueNs: 60_000_000_000n });
      assert.deepEqual(old, { intervalNs: 0n, valueNs: 0n });
      const cur = timerfdGettime(fd);
      assert.equal(cur.intervalNs, 2_000_000_000n);
      assert.ok(cur.valueNs > 59_000_000_000n && cur.valueNs <= 60_000_000_000n);
    } finally {
      close(fd);
    }
    assert.throws(() => timerfdGettime(BAD), {
      message: `timerfd_gettime(fd ${BAD}): EBADF (Bad file descriptor)`,
    });
  }),
);

Deno.test(
  "epoll_ctl registers a target with its data",
  leakChecked(() => {
    const ep = epollCreate1(EPOLL.CLOEXEC);
    const [r, w] = pipe2();
    try {
      epollCtl(ep, EPOLL.CTL_ADD, r, EPOLLIN, 0x1122334455n);
      // The kernel adds EPOLLERR and EPOLLHUP (0x18); fdinfo prints hex.
      assert.match(fdinfo(ep), new RegExp(`tfd:\\s+${r} events:\\s+19 data:\\s+1122334455`));
      assert.throws(() => epollCtl(ep, EPOLL.CTL_ADD, r, EPOLLIN, 0n), {
        message: `epoll_ctl(fd ${ep}, fd ${r}): EEXIST (File exists)`,
      });
    } finally {
      for (const fd of [ep, r, w]) close(fd);
    }
  }),
);

Deno.test(
  "inotify_add_watch returns a watch descriptor and names a missing path",
  leakChecked(() => {
    const fd = inotifyInit1(IN.CLOEXEC);
    try {
      assert.equal(inotifyAddWatch(fd, "/tmp", IN.ALL_EVENTS), 1);
      assert.throws(() => inotifyAddWatch(fd, "/nonexistent", IN.ALL_EVENTS), {
        message: `inotify_add_watch(fd ${fd}, /nonexistent): ENOENT (No such file or directory)`,
      });
    } finally {
      close(fd);
    }
  }),
);

Deno.test(
  "memfd_create and linkat give an O_TMPFILE a name",
  leakChecked(() => {
    const m = memfdCreate("fdrestore-test", MFD.CLOEXEC);
    const dir = Deno.makeTempDirSync();
    try {
      assert.equal(readlink(`/proc/self/fd/${m}`), "/memfd:fdrestore-test (deleted)");
      writeAll(m, new Uint8Array([1, 2, 3]));
      assert.equal(fstat(m).size, 3n);
      const fd = open(dir, O.TMPFILE | O.RDWR | O.CLOEXEC);
      linkat(fd, "", AT_FDCWD, `${dir}/named`, AT_EMPTY_PATH);
      assert.equal(Deno.statSync(`${dir}/named`).ino, Number(fstat(fd).ino));
      close(fd);
      unlink(`${dir}/named`);
      assert.throws(() => unlink(`${dir}/named`), { code: "ENOENT" });
    } finally {
      close(m);
      Deno.removeSync(dir, { recursive: true });
    }
  }),
);

Deno.test("mkfifo makes a fifo and refuses an existing path", () => {
  const dir = Deno.makeTempDirSync();
  try {
    mkfifo(`${dir}/f`, 0o600);
    assert.ok(Deno.statSync(`${dir}/f`).isFifo);
    assert.throws(() => mkfifo(`${dir}/f`, 0o600), {
      message: `mkfifo(${dir}/f): EEXIST (File exists)`,
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(
  "closeRange closes or marks close-on-exec a range of fds",
  leakChecked(() => {
    const [r, w] = pipe2(0);
    try {
      dup2(r, 7000);
      dup2(r, 7001);
      dup2(r, 7003);
      closeRange(7000, 7001, 0);
      assert.throws(() => fstat(7000), { code: "EBADF" });
      assert.throws(() => fstat(7001), { code: "EBADF" });
      cloexecFrom(7002);
      assert.equal(getFdFlags(7003), FD_CLOEXEC);
      close(7003);
      assert.throws(() => closeRange(10, 5), {
        message: "close_range(10..5): EINVAL (Invalid argument)",
      });
    } finally {
      close(r);
      close(w);
    }
  }),
);

Deno.test(
  "closeAll closes runs of fds, lone fds and duplicates, and skips one closed already",
  leakChecked(() => {
    const [r, w] = pipe2(0);
    try {
      for (const fd of [7100, 7101, 7102, 7104, 7110, 7111]) dup2(r, fd);
      close(7101);
      closeAll([7111, 7100, 7101, 7102, 7104, 7110, 7104]);
      for (const fd of [7100, 7101, 7102, 7104, 7110, 7111]) {
        assert.throws(() => fstat(fd), { code: "EBADF" }, `fd ${fd}`);
      }
      assert.equal(fstat(r).ino, fstat(w).ino); // the rest untouched
    } finally {
      close(r);
      close(w);
    }
  }),
);

Deno.test(
  "ioctl FIONREAD counts the bytes queued in a pipe",
  leakChecked(() => {
    const [r, w] = pipe2();
    try {
      writeAll(w, new Uint8Array(17));
      const n = new Uint8Array(new ArrayBuffer(4));
      ioctl(r, FIONREAD, n);
      assert.equal(new DataView(n.buffer).getInt32(0, true), 17);
      read(r, new Uint8Array(new ArrayBuffer(17)));
    } finally {
      close(r);
      close(w);
    }
    assert.throws(() => ioctl(BAD, FIONREAD, new Uint8Array(new ArrayBuffer(4))), {
      message: `ioctl(fd ${BAD}, 0x541b): EBADF (Bad file descriptor)`,
    });
  }),
);

Deno.test(
  "timerfdSetTicks gives an unarmed timerfd an unread expiry count",
  leakChecked(() => {
    const fd = timerfdCreate(CLOCK.MONOTONIC, TFD.CLOEXEC | TFD.NONBLOCK);
    try {
      timerfdSetTicks(fd, 3n);
      assert.match(fdinfo(fd), /ticks: 3\n/);
      const buf = new Uint8Array(new ArrayBuffer(8));
      assert.equal(read(fd, buf), 8);
      assert.equal(new DataView(buf.buffer).getBigUint64(0, true), 3n);
    } finally {
      close(fd);
    }
    assert.throws(() => timerfdSetTicks(BAD, 1n), {
      message: `ioctl(fd ${BAD}, 0x40085400): EBADF (Bad file descriptor)`,
    });
  }),
);

Deno.test(
  "inotifySetNextWd chooses the next wd and inotifyRmWatch drops a watch",
  leakChecked(() => {
    const fd = inotifyInit1(IN.CLOEXEC);
    try {
      inotifySetNextWd(fd, 7);
      assert.equal(inotifyAddWatch(fd, "/tmp", 0x100), 7);
      inotifyRmWatch(fd, 7);
      assert.doesNotMatch(fdinfo(fd), /inotify wd:/);
      assert.throws(() => inotifyRmWatch(fd, 7), {
        message: `inotify_rm_watch(fd ${fd}, wd 7): EINVAL (Invalid argument)`,
      });
      assert.throws(() => ioctlInt(fd, 0x40044900, 0), { message: /EINVAL/ });
    } finally {
      close(fd);
    }
  }),
);

Deno.test("clockGettime reads the clock in nanoseconds", () => {
  const a = clockGettime(CLOCK.MONOTONIC);
  const b = clockGettime(CLOCK.MONOTONIC);
  assert.ok(a > 0n && b >= a);
  const wall = clockGettime(CLOCK.REALTIME) / 1_000_000n;
  assert.ok(wall - BigInt(Date.now()) < 1000n && BigInt(Date.now()) - wall < 1000n);
  assert.throws(() => clockGettime(12345), {
    message: "clock_gettime(clock 12345): EINVAL (Invalid argument)",
  });
});

Deno.test(
  "fchmod sets the exact mode, fchown the owner, ftruncate the size",
  leakChecked(() => {
    const path = Deno.makeTempFileSync();
    const fd = open(path, O.RDWR | O.CLOEXEC);
    try {
      // Only root gives a file away; anyone may chown to themselves.
      const [uid, gid] = Deno.uid() === 0 ? [1, 2] : [Deno.uid()!, Deno.gid()!];
      fchmod(fd, 0o4640);
      fchown(fd, uid, gid);
      ftruncate(fd, 12345n);
      const st = fstat(fd);
      assert.equal(st.mode, 0o100640); // chown cleared set-uid
      assert.deepEqual([st.uid, st.gid, st.size], [uid, gid, 12345n]);
      fchmod(fd, 0o4640);
      assert.equal(fstat(fd).mode, 0o104640);
      if (Deno.uid() !== 0) {
        assert.throws(() => fchown(fd, 1, 2), {
          message: `fchown(fd ${fd}, 1:2): EPERM (Operation not permitted)`,
        });
      }
    } finally {
      close(fd);
      Deno.removeSync(path);
    }
    assert.throws(() => fchmod(BAD, 0o600), {
      message: `fchmod(fd ${BAD}, 0600): EBADF (Bad file descriptor)`,
    });
  }),
);
